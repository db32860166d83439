"""Language detection for routing rules: real prompts, mixed scripts, and the edges that must say ""."""

from __future__ import annotations

import pytest

from pointsman.routing.language import detect

PROMPTS: list[tuple[str, str]] = [
    # Latin script: stop words and telling letters.
    ("en", "Can you explain how TCP congestion control works?"),
    ("en", "Write a Python function that returns the longest palindrome in a string."),
    ("en", "What is the difference between a process and a thread? Please keep it short."),
    ("es", "¿Puedes explicarme cómo funciona el control de congestión de TCP?"),
    ("es", "Escribe una función en Python que devuelva el palíndromo más largo de una cadena."),
    ("es", "Necesito ayuda con mi currículum, ¿qué debería poner primero?"),
    ("fr", "Peux-tu m’expliquer comment fonctionne le contrôle de congestion TCP ?"),
    ("fr", "Écris une fonction Python qui renvoie le plus long palindrome d'une chaîne."),
    ("fr", "Quelle est la différence entre un processus et un thread ?"),
    ("de", "Kannst du mir erklären, wie die TCP-Überlastkontrolle funktioniert?"),
    ("de", "Schreibe eine Python-Funktion, die das längste Palindrom in einem String zurückgibt."),
    ("de", "Was ist der Unterschied zwischen einem Prozess und einem Thread?"),
    ("it", "Puoi spiegarmi come funziona il controllo della congestione in TCP?"),
    ("it", "Scrivi una funzione Python che restituisca il palindromo più lungo di una stringa."),
    ("it", "Qual è la differenza tra un processo e un thread?"),
    ("pt", "Você pode me explicar como funciona o controle de congestionamento do TCP?"),
    ("pt", "Escreva uma função em Python que retorne o maior palíndromo de uma string."),
    ("pt", "Qual é a diferença entre um processo e uma thread? Não precisa ser longo."),
    ("nl", "Kun je uitleggen hoe TCP-congestiecontrole werkt?"),
    ("nl", "Schrijf een Python-functie die het langste palindroom in een string teruggeeft."),
    ("nl", "Wat is het verschil tussen een proces en een thread?"),
    ("pl", "Czy możesz wyjaśnić, jak działa kontrola przeciążenia w TCP?"),
    ("pl", "Napisz funkcję w Pythonie, która zwraca najdłuższy palindrom w ciągu znaków."),
    ("pl", "Jaka jest różnica między procesem a wątkiem?"),
    ("tr", "TCP tıkanıklık kontrolünün nasıl çalıştığını açıklayabilir misin?"),
    ("tr", "Bir dizideki en uzun palindromu döndüren bir Python fonksiyonu yaz."),
    ("tr", "Süreç ile iş parçacığı arasındaki fark nedir?"),
    ("sv", "Kan du förklara hur TCP:s överbelastningskontroll fungerar?"),
    ("sv", "Skriv en Python-funktion som returnerar det längsta palindromet i en sträng."),
    ("sv", "Vad är skillnaden mellan en process och en tråd?"),
    # Decided by script.
    ("ja", "TCPの輻輳制御がどのように機能するのか説明してもらえますか？"),
    ("ja", "文字列の中で最も長い回文を返すPython関数を書いてください。"),
    ("ja", "コンテナとバーチャルマシンの違いは何ですか？"),
    ("zh", "你能解释一下TCP拥塞控制是如何工作的吗？"),
    ("zh", "写一个Python函数，返回字符串中最长的回文子串。"),
    ("zh", "進程和線程有什麼區別？"),  # traditional characters
    ("ko", "TCP 혼잡 제어가 어떻게 작동하는지 설명해 주시겠어요?"),
    ("ko", "문자열에서 가장 긴 회문을 반환하는 파이썬 함수를 작성해 주세요."),
    ("ru", "Можешь объяснить, как работает управление перегрузкой в TCP?"),
    ("ru", "Напиши функцию на Python, которая возвращает самый длинный палиндром в строке."),
    ("uk", "Чи можеш пояснити, як працює керування перевантаженням у TCP?"),
    ("uk", "Напиши функцію на Python, яка повертає найдовший паліндром у рядку."),
    ("ar", "هل يمكنك أن تشرح كيف يعمل التحكم في الازدحام في TCP؟"),
    ("ar", "اكتب دالة بلغة بايثون تعيد أطول متناظرة في سلسلة نصية."),
    ("fa", "میتوانی توضیح بدهی که کنترل ازدحام در TCP چگونه کار میکند؟"),
    ("fa", "یک تابع پایتون بنویس که طولانی‌ترین پالیندروم یک رشته را برگرداند."),
    ("he", "האם תוכל להסביר איך עובדת בקרת עומס ב-TCP?"),
    ("he", "כתוב פונקציה בפייתון שמחזירה את הפלינדרום הארוך ביותר במחרוזת."),
    ("hi", "क्या आप समझा सकते हैं कि TCP कंजेशन कंट्रोल कैसे काम करता है?"),
    ("hi", "एक पायथन फ़ंक्शन लिखिए जो किसी स्ट्रिंग में सबसे लंबा पैलिंड्रोम लौटाए।"),
    ("el", "Μπορείς να μου εξηγήσεις πώς λειτουργεί ο έλεγχος συμφόρησης του TCP;"),
    ("el", "Γράψε μια συνάρτηση Python που επιστρέφει το μεγαλύτερο παλίνδρομο σε μια συμβολοσειρά."),
    ("th", "คุณช่วยอธิบายได้ไหมว่าการควบคุมความแออัดของ TCP ทำงานอย่างไร"),
    ("th", "เขียนฟังก์ชัน Python ที่คืนค่าพาลินโดรมที่ยาวที่สุดในสตริง"),
]


@pytest.mark.parametrize(("expected", "text"), PROMPTS)
def test_real_prompts(expected: str, text: str) -> None:
    assert detect(text) == expected


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        ("en", "What does the Chinese word 谢谢 mean, and when should I use it?"),
        ("en", "Translate 東京 into English and tell me how to pronounce it."),
        (
            "zh",
            "请帮我看看这段代码为什么报错：for i in range(len(items)): print(items[i])，"
            "我想遍历列表并打印每个元素。",
        ),
        ("zh", "在 React 里 useEffect 和 useLayoutEffect 有什么区别？什么时候应该用哪一个？"),
        ("ja", "東京駅から新宿駅までの行き方を教えてください。"),  # kanji with a little kana is Japanese
        ("ja", "useStateとuseReducerの使い分けについて教えてください。"),
        ("ko", "React에서 useEffect와 useLayoutEffect의 차이점이 뭔가요?"),
        ("ru", "Почему мой Dockerfile с multi-stage build собирается так медленно?"),
    ],
)
def test_mixed_scripts(expected: str, text: str) -> None:
    assert detect(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345 !!!",
        "   \n\t ",
        "🙂🙂🙂 👍",
        "3.14159 + 2.71828 = 5.85987",
        "ok",  # short, no stop word
        "TCP",  # short, no stop word
        "def foo(bar): return baz(qux)",  # Latin letters, but no word of any language
        "Straße",  # a telling letter is not enough for a one-word text
    ],
)
def test_cannot_tell(text: str) -> None:
    assert detect(text) == ""


def test_stop_words_decide_closely_related_languages() -> None:
    assert detect("Wat is het verschil tussen deze twee?") == "nl"
    assert detect("Was ist der Unterschied zwischen diesen beiden?") == "de"
    assert detect("¿Cuál es la diferencia entre estos dos?") == "es"
    assert detect("Qual é a diferença entre estes dois?") == "pt"


def test_ukrainian_and_russian_by_their_own_letters() -> None:
    assert detect("Це їжак, і він ґречний, є питання?") == "uk"
    assert detect("Это ёжик, и он съел всё. Вы поняли?") == "ru"
    # Only shared letters: Russian is the default reading of Cyrillic.
    assert detect("Как дела") == "ru"


def test_persian_letters_turn_arabic_script_into_persian() -> None:
    assert detect("كيف حالك اليوم؟") == "ar"
    assert detect("چطوری؟ امروز چه کار می‌کنی؟") == "fa"


def test_letters_without_stop_words_in_a_longer_text() -> None:
    # Three or more words with no stop word at all: telling letters may still decide.
    assert detect("Größe, Länge, Breite, Höhe, Straße") == "de"
    assert detect("Wyjaśnienie: przeciążenie, łącze, sieć") == "pl"


def test_unicode_punctuation_does_not_hide_words() -> None:
    assert detect("«Qu’est-ce que c’est ?»") == "fr"
    assert detect("¡Hola! ¿Qué tal?") == "es"


def test_sentence_initial_capitals_outside_ascii_still_match() -> None:
    assert detect("Że to działa, wiem.") == "pl"
    assert detect("Über die Brücke.") == "de"


def test_only_the_first_2000_characters_count() -> None:
    english = ("Can you explain how TCP congestion control works in practice? " * 40)[:2000]
    russian = "Можешь объяснить, как работает управление перегрузкой в TCP? " * 200
    assert len(english) == 2000 and len(russian) >= 10_000
    assert detect(english + russian) == "en"
    assert detect(russian + english) == "ru"
    # The cut may fall anywhere, even in the middle of a word or before a lone surrogate.
    assert detect("a" * 1999 + "\ud800" + russian) == ""


def test_lone_surrogates_do_not_raise() -> None:
    assert detect("Can you explain this \ud83d error?") == "en"
