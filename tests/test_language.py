"""Language tag normalization and the stopword/script detector."""

from __future__ import annotations

import pytest

from newscrawl.extraction.language import detect_language, language_region, normalize_language


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr-FR", "fr"),
        ("fr_FR", "fr"),
        ("FR", "fr"),
        (" de-DE ", "de"),
        ("en-US,en;q=0.9", "en"),
        ("fra", "fr"),
        ("ger", "de"),
        ("zh-Hans-CN", "zh"),
        ("iw", "he"),
        ("nb-NO", "no"),
        ("", None),
        (None, None),
        ("und", None),
        ("x", None),
        ("english", None),
        ("12", None),
        ("fr-", None),
    ],
)
def test_normalize_language(tag, expected):
    assert normalize_language(tag) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es-ES", "ES"),
        ("es_es", "ES"),
        ("zh-Hant-TW", "TW"),
        ("en-GB,en;q=0.9", "GB"),
        ("fr", None),
        ("es-419", None),  # Latin America: a region, no country
        ("zh-Hans", None),
        ("fr-", None),
        ("", None),
        (None, None),
    ],
)
def test_language_region(tag, expected):
    assert language_region(tag) == expected


SAMPLES = {
    "fr": "Lors du récent Salon de Pékin, le PDG de Renault a pris le temps de rencontrer des leaders "
    "d'entreprises chinoises, dont le patron de Xiaomi. Cette démarche s'inscrit dans une période où "
    "la marque réévalue sa stratégie en Chine.",
    "en": "The company said on Tuesday that it would cut prices again, and analysts expect that the "
    "move will put pressure on its rivals, which have been struggling with demand for their cars.",
    "de": "Die Bundesregierung hat am Mittwoch beschlossen, dass die Förderung für Elektroautos "
    "verlängert wird. Das ist ein wichtiges Signal für die Hersteller, die mit der Nachfrage kämpfen.",
    "es": "El gobierno anunció que los precios de la electricidad bajarán en las próximas semanas, "
    "según el ministro, que también habló de las ayudas para los coches eléctricos.",
    "it": "Il governo ha annunciato che i prezzi dell'energia scenderanno nelle prossime settimane, "
    "secondo il ministro, che ha parlato anche degli incentivi per le auto elettriche.",
    "pt": "O governo anunciou que os preços da eletricidade vão cair nas próximas semanas, segundo o "
    "ministro, que também falou dos apoios para os carros elétricos.",
    "nl": "De regering heeft woensdag besloten dat de subsidie voor elektrische auto's wordt verlengd. "
    "Dat is een belangrijk signaal voor de fabrikanten die met de vraag worstelen.",
    "pl": "Rząd ogłosił, że ceny energii spadną w najbliższych tygodniach, jak powiedział minister, "
    "który mówił także o dopłatach do samochodów elektrycznych, które są coraz bardziej popularne.",
    "zh": "短缺药品保供稳价，全力保障临床用药需求。国家卫生健康委员会表示，将继续加强药品供应保障工作。",
    "ja": "トレンドマイクロは、公衆無線LANを安全に使うためのアプリを発表した。利用者は月額料金で使える。",
    "ko": "정부는 다음 주부터 전기차 보조금을 확대한다고 발표했다. 업계는 이번 결정을 환영했다.",
    "ar": "أعلنت الحكومة أن أسعار الكهرباء ستنخفض في الأسابيع المقبلة، وفقا للوزير الذي تحدث أيضا عن الدعم.",
    "ru": "Правительство объявило, что цены на электроэнергию снизятся в ближайшие недели, сообщил министр.",
    "th": "รัฐบาลประกาศว่าราคาไฟฟ้าจะลดลงในอีกไม่กี่สัปดาห์ข้างหน้า ตามที่รัฐมนตรีกล่าว",
    "el": "Η κυβέρνηση ανακοίνωσε ότι οι τιμές της ηλεκτρικής ενέργειας θα μειωθούν τις επόμενες εβδομάδες.",
}


@pytest.mark.parametrize(("expected", "text"), sorted(SAMPLES.items()))
def test_detect_language(expected, text):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12 345 678", "OK", "Tesla Model 3"])
def test_detect_language_declines_on_too_little(text):
    assert detect_language(text) is None
