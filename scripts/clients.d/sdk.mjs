// One call of a Node client library against pointsman: `node sdk.mjs CLIENT/CASE`.
// Environment: PM_BASE (the gateway's root URL), PM_KEY (a gateway key), PM_MODEL (the model to ask).
// It prints one JSON line, {"ok", "text", "detail"}: what the client got, judged only as far as the
// client itself can tell (scripts/clients.d/cases.py checks the text and what reached the provider).
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, Output, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';

const base = process.env.PM_BASE;
const key = process.env.PM_KEY;
const model = process.env.PM_MODEL;
const limit = Number(process.env.PM_MAX_TOKENS || 256); // a real small model may ramble until its context ends
const say = (text) => `say: ${text}`;
const City = z.object({ city: z.string(), population: z.number() });
const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};
const weather = ({ city }) => `sunny in ${city}`;
const toolAsk = 'Use the tool get_weather for Paris, then answer.';

const openai = () => new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const anthropic = () => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const aiOpenAI = () => createOpenAI({ baseURL: `${base}/v1`, apiKey: key });
const aiAnthropic = () => createAnthropic({ baseURL: `${base}/v1`, apiKey: key });
const result = (ok, text, detail = '') => ({ ok, text: String(text ?? ''), detail });
globalThis.AI_SDK_LOG_WARNINGS = false; // generateObject is deprecated in ai 7, and still what apps call

const openaiCases = {
  async 'chat.create'() {
    const r = await openai().chat.completions.create({ model, max_tokens: limit, messages: [{ role: 'user', content: say('pong') }] });
    return result(r.choices[0].message.content != null, r.choices[0].message.content, `usage ${r.usage?.total_tokens}`);
  },
  async 'chat.stream'() {
    const stream = await openai().chat.completions.create({
      model, max_tokens: limit, messages: [{ role: 'user', content: say('one two three') }], stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    return result(usage != null, text, usage ? `usage ${usage.total_tokens}` : 'no usage chunk');
  },
  async 'chat.tools'() {
    const runner = openai().chat.completions.runTools({
      model, max_tokens: limit, messages: [{ role: 'user', content: toolAsk }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherSchema, function: weather, parse: JSON.parse } }],
    });
    const text = await runner.finalContent();
    const calls = runner.messages.filter((m) => m.role === 'tool').length;
    return result(calls > 0, text, `runTools: ${calls} tool result(s)`);
  },
  async 'chat.parse'() {
    const r = await openai().chat.completions.parse({
      model, max_tokens: limit, messages: [{ role: 'user', content: 'Name a city and its population.' }],
      response_format: zodResponseFormat(City, 'city'),
    });
    const parsed = r.choices[0].message.parsed;
    return result(City.safeParse(parsed).success, JSON.stringify(parsed));
  },
  async 'responses.create'() {
    const r = await openai().responses.create({ model, max_output_tokens: limit, input: say('pong') });
    return result(['completed', 'incomplete'].includes(r.status), r.output_text, `status ${r.status}`);
  },
  async 'responses.stream'() {
    const stream = openai().responses.stream({ model, max_output_tokens: limit, input: say('one two three') });
    let deltas = 0;
    stream.on('response.output_text.delta', () => { deltas += 1; });
    const final = await stream.finalResponse();
    return result(deltas > 0, final.output_text, `${deltas} deltas`);
  },
  async 'responses.tools'() {
    const client = openai();
    const tools = [{ type: 'function', name: 'get_weather', parameters: weatherSchema, strict: false }];
    const first = await client.responses.create({ model, max_output_tokens: limit, input: toolAsk, tools });
    const call = first.output.find((item) => item.type === 'function_call');
    if (!call) return result(false, first.output_text, 'no function_call');
    const input = [
      { role: 'user', content: toolAsk }, call,
      { type: 'function_call_output', call_id: call.call_id, output: weather(JSON.parse(call.arguments)) },
    ];
    const second = await client.responses.create({ model, max_output_tokens: limit, input, tools });
    return result(true, second.output_text, `called ${call.name}`);
  },
  async 'responses.parse'() {
    const r = await openai().responses.parse({
      model, max_output_tokens: limit, input: 'Name a city and its population.', text: { format: zodTextFormat(City, 'city') },
    });
    return result(City.safeParse(r.output_parsed).success, JSON.stringify(r.output_parsed));
  },
  async 'responses.reasoning'() {
    const r = await openai().responses.create({ model, max_output_tokens: limit, reasoning: { effort: 'low' }, input: say('pong') });
    return result(r.status === 'completed', r.output_text, `reasoning ${JSON.stringify(r.reasoning ?? null)}`);
  },
  async 'models.list'() {
    const ids = [];
    for await (const m of openai().models.list()) ids.push(m.id);
    return result(ids.includes(model), `${ids.length} models`, ids.includes(model) ? `${model} listed` : `${model} missing`);
  },
  async 'embeddings.create'() {
    const r = await openai().embeddings.create({ model, input: 'hello' });
    const size = r.data[0]?.embedding?.length ?? 0;
    return result(size > 0, `${size} dimensions`);
  },
  async 'completions.create'() {
    const r = await openai().completions.create({ model, prompt: say('pong'), max_tokens: 16 });
    return result(r.choices[0]?.text != null, r.choices[0]?.text);
  },
};

const anthropicText = (message) => message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');

const anthropicCases = {
  async 'messages.create'() {
    const r = await anthropic().messages.create({ model, max_tokens: limit, messages: [{ role: 'user', content: say('pong') }] });
    return result(r.type === 'message', anthropicText(r), `stop_reason ${r.stop_reason}`);
  },
  async 'messages.stream'() {
    const stream = anthropic().messages.stream({ model, max_tokens: limit, messages: [{ role: 'user', content: say('one two three') }] });
    let deltas = 0;
    stream.on('text', () => { deltas += 1; });
    const final = await stream.finalMessage();
    return result(deltas > 0, anthropicText(final), `${deltas} deltas, usage in/out ${final.usage.input_tokens}/${final.usage.output_tokens}`);
  },
  async 'messages.tools'() {
    const client = anthropic();
    const tools = [{ name: 'get_weather', description: 'weather of a city', input_schema: weatherSchema }];
    const messages = [{ role: 'user', content: toolAsk }];
    const first = await client.messages.create({ model, max_tokens: limit, tools, messages });
    const use = first.content.find((b) => b.type === 'tool_use');
    if (!use) return result(false, anthropicText(first), `stop_reason ${first.stop_reason}, no tool_use`);
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: weather(use.input) }] });
    const second = await client.messages.create({ model, max_tokens: limit, tools, messages });
    return result(true, anthropicText(second), `called ${use.name}`);
  },
  async 'messages.parse'() {
    const r = await anthropic().messages.parse({
      model, max_tokens: limit, messages: [{ role: 'user', content: 'Name a city and its population.' }],
      output_config: { format: zodOutputFormat(City) },
    });
    return result(City.safeParse(r.parsed_output).success, JSON.stringify(r.parsed_output));
  },
  async 'messages.thinking'() {
    const r = await anthropic().messages.create({
      model, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: say('thought') }],
    });
    return result(r.type === 'message', anthropicText(r));
  },
  async 'messages.cache_control'() {
    const r = await anthropic().messages.create({
      model, max_tokens: limit,
      system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: say('cached') }],
    });
    return result(r.type === 'message', anthropicText(r));
  },
  async 'messages.countTokens'() {
    const r = await anthropic().messages.countTokens({ model, messages: [{ role: 'user', content: 'Hello there, how are you?' }] });
    return result(r.input_tokens > 0, `${r.input_tokens} input tokens`);
  },
  async 'models.list'() {
    const ids = [];
    for await (const m of anthropic().models.list()) ids.push(m.id);
    return result(ids.includes(model), `${ids.length} models`, ids.includes(model) ? `${model} listed` : `${model} missing`);
  },
};

// The AI SDK: SURFACE/CASE, the surface being the provider function that picks the wire.
const aiModels = {
  responses: () => aiOpenAI()(model),
  chat: () => aiOpenAI().chat(model),
  anthropic: () => aiAnthropic()(model),
  completion: () => aiOpenAI().completion(model),
};

const aiCases = {
  async generateText(m) {
    const r = await generateText({ model: m, maxOutputTokens: limit, prompt: say('pong') });
    return result(r.finishReason !== 'error', r.text, `finish ${r.finishReason}, usage ${r.usage?.totalTokens}`);
  },
  async streamText(m) {
    let failure = null;
    const r = streamText({ model: m, maxOutputTokens: limit, prompt: say('one two three'), onError: ({ error }) => { failure = error; } });
    let text = '';
    for await (const part of r.textStream) text += part;
    if (failure) throw failure;
    return result(true, text, `finish ${await r.finishReason}`);
  },
  async tools(m) {
    const r = await generateText({
      model: m, maxOutputTokens: limit, prompt: toolAsk, stopWhen: stepCountIs(3),
      tools: { get_weather: tool({ description: 'weather of a city', inputSchema: z.object({ city: z.string() }), execute: weather }) },
    });
    const calls = r.steps.flatMap((s) => s.toolCalls).length;
    return result(calls > 0, r.text, `${r.steps.length} steps, ${calls} tool call(s)`);
  },
  async generateObject(m) {
    const r = await generateObject({ model: m, maxOutputTokens: limit, schema: City, prompt: 'Name a city and its population.' });
    return result(City.safeParse(r.object).success, JSON.stringify(r.object));
  },
  async outputObject(m) {
    const r = await generateText({ model: m, maxOutputTokens: limit, output: Output.object({ schema: City }), prompt: 'Name a city and its population.' });
    return result(City.safeParse(r.output).success, JSON.stringify(r.output));
  },
};

async function run(name) {
  const [client, ...rest] = name.split('/');
  const caseName = rest.join('/');
  if (client === 'openai') return openaiCases[caseName]();
  if (client === 'anthropic') return anthropicCases[caseName]();
  if (client === 'ai') {
    const [surface, what] = caseName.split('/');
    return aiCases[what](aiModels[surface]());
  }
  throw new Error(`unknown case ${name}`);
}

function describe(error) {
  const cause = error?.lastError ?? error?.cause ?? error;
  const status = cause?.status ?? cause?.statusCode;
  const message = String(cause?.message ?? cause).split('\n')[0];
  return (message.startsWith(String(status)) || !status ? message : `${status} ${message}`).slice(0, 300);
}

try {
  console.log(JSON.stringify(await run(process.argv[2])));
} catch (error) {
  console.log(JSON.stringify({ ok: false, text: '', detail: describe(error) }));
}
