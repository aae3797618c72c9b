"""The sample program's vocabularies: sectors, career stages, interests, languages, methods, impact codes.

The generator writes the sample's CSVs from these lists, and a new database is seeded with them
(:func:`default_terms`, through :func:`workbench.program.vocabularies.seed_vocabularies`). From then on the
program's vocabularies are its database's (``vocabulary_terms``), changed there by a director: the import,
the reports and the pages read the database's. Only a parser given no vocabularies
(:func:`workbench.intake.fields.default_vocabularies`) and the matching's synthetic data fall back on these.
"""

from __future__ import annotations

SECTORS: tuple[str, ...] = ("academic", "public", "school", "special", "national", "other")
CAREER_STAGES: tuple[str, ...] = ("student", "early", "mid", "senior")

SECTOR_LABELS: dict[str, str] = {
    "academic": "Academic", "public": "Public", "school": "School", "special": "Special", "national": "National",
    "other": "Other",
}
CAREER_STAGE_LABELS: dict[str, str] = {
    "student": "Student", "early": "Early career", "mid": "Mid-career", "senior": "Senior",
}

#: Words applicants write for a sector (compared ignoring case, accents, punctuation and a plural 's').
SECTOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "academic": ("university", "college", "higher education", "tertiary", "academic library", "university library",
                 "college library", "research library", "community college", "polytechnic"),
    "public": ("public library", "municipal", "municipal library", "city library", "county library",
               "regional library"),
    "school": ("school library", "k 12", "k12", "primary school", "secondary school", "high school",
               "teacher librarian"),
    "special": ("special library", "corporate", "government", "law", "legal", "medical", "health", "hospital",
                "museum", "business", "law library", "medical library", "health library", "government library",
                "corporate library"),
    "national": ("national library", "state library", "parliamentary library"),
    "other": ("other sector", "none of the above"),
}

#: Words applicants write for a career stage.
CAREER_STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "student": ("library school student", "lis student", "mlis student", "library student", "studying"),
    "early": ("early career", "new professional", "early career professional", "graduate", "new graduate",
              "recent graduate", "entry level", "newly qualified", "beginner", "junior", "new librarian"),
    "mid": ("mid career", "mid level", "middle", "mid career professional", "intermediate", "established"),
    "senior": ("manager", "experienced", "late career", "management", "director", "executive",
               "senior professional", "senior manager", "leader"),
}

#: The areas of interest applicants choose from (three to six each on the form).
INTERESTS: tuple[str, ...] = (
    "Library spaces",
    "Management and leadership",
    "Library advocacy",
    "Professional development",
    "Information literacy",
    "Digital collections",
    "Cataloguing and metadata",
    "Research support",
    "Children and young people",
    "Community engagement",
    "Marketing and outreach",
    "Collection development",
    "Open access and scholarly communication",
    "Library technology",
    "Reference services",
    "Archives and special collections",
    "Copyright and licensing",
    "Teaching and learning",
    "Research data management",
    "Reading promotion",
    "Health information",
    "Law libraries",
    "Evaluation and assessment",
    "Diversity and inclusion",
    "Social media",
)

#: Working languages a participant can list (the program ran in English).
LANGUAGES: tuple[str, ...] = (
    "English", "Spanish", "French", "Portuguese", "Arabic", "German", "Italian", "Dutch", "Russian",
    "Chinese", "Japanese", "Korean", "Hindi", "Bengali", "Urdu", "Swahili", "Indonesian", "Malay",
    "Tagalog", "Turkish", "Persian", "Greek", "Polish", "Czech", "Romanian", "Hungarian", "Swedish",
    "Norwegian", "Danish", "Finnish", "Hebrew", "Thai", "Vietnamese", "Ukrainian", "Serbian",
    "Croatian", "Tamil", "Sinhala", "Nepali", "Amharic", "Hausa", "Yoruba", "Igbo", "Zulu",
    "Afrikaans", "Catalan", "Icelandic", "Maltese", "Estonian", "Latvian", "Lithuanian", "Slovak",
    "Slovenian", "Bulgarian", "Albanian", "Macedonian", "Georgian", "Armenian", "Kazakh", "Mongolian",
    "Khmer", "Burmese", "Lao", "Dhivehi", "Pashto", "Dari", "Samoan", "Tongan", "Fijian", "Maori",
)

#: Other names and native names of the working languages (ISO 639 names and codes are read by the import too).
LANGUAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "Chinese": ("mandarin", "mandarin chinese", "cantonese", "putonghua"),
    "Persian": ("farsi",),
    "Tagalog": ("filipino", "pilipino"),
    "Indonesian": ("bahasa indonesia",),
    "Malay": ("bahasa melayu", "bahasa malaysia"),
    "Swahili": ("kiswahili",),
    "Bengali": ("bangla",),
    "Maori": ("te reo maori", "te reo"),
    "Burmese": ("myanmar",),
    "Spanish": ("castilian", "espanol", "latin american spanish"),
    "French": ("francais", "canadian french"),
    "German": ("deutsch", "swiss german"),
    "Portuguese": ("portugues", "brazilian portuguese"),
    "Italian": ("italiano",),
    "Dutch": ("nederlands", "flemish"),
    "Norwegian": ("bokmal", "norwegian bokmal", "nynorsk"),
    "Dhivehi": ("divehi", "maldivian"),
    "Greek": ("modern greek",),
    "Nepali": ("nepalese",),
    "Sinhala": ("sinhalese",),
    "Khmer": ("cambodian",),
    "Lao": ("laotian",),
    "Slovenian": ("slovene",),
    "Pashto": ("pushto", "pashtu"),
    "Hebrew": ("ivrit",),
    "English": ("american english", "british english", "us english", "uk english", "australian english",
                "english uk", "english us"),
    "Dari": ("dari persian",),
    "Japanese": ("nihongo",),
    "Korean": ("hangul",),
    "Russian": ("russkiy",),
}

#: How partners talk to each other (check-ins and surveys).
METHODS: tuple[str, ...] = ("email", "video call", "chat", "social media", "phone", "other")

METHOD_LABELS: dict[str, str] = {
    "email": "Email", "video call": "Video call", "chat": "Chat", "social media": "Social media", "phone": "Phone",
    "other": "Other",
}

#: Words participants write for the ways they keep in touch.
METHOD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("e mail", "mail", "gmail", "outlook"),
    "video call": ("video", "videocall", "skype", "zoom", "google hangouts", "hangouts", "adobe connect",
                   "anymeeting", "facetime", "webex", "teams", "video chat"),
    "chat": ("whatsapp", "instant messaging", "im", "messenger", "wechat", "viber", "telegram", "text", "sms"),
    "social media": ("facebook", "twitter", "linkedin", "instagram", "social"),
    "phone": ("telephone", "phone call", "mobile"),
    "other": ("post", "letter", "in person", "met in person"),
}

#: The end-of-round impact question's coding frame (domain.md, from "Rethinking mentoring").
IMPACT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("awareness", "Widening of professional awareness",
     "Thinking about the wider profession beyond the day job."),
    ("international", "International perspective",
     "Seeing one's work in an international context; learning about libraries elsewhere."),
    ("ideas", "New ideas", "Specific new activities or ideas taken from the partner."),
    ("confidence", "Confidence or motivation", "More professional confidence or motivation."),
    ("development", "General professional development",
     "Professional development, especially where other forms were out of reach."),
    ("networking", "Networking", "Building an international network or a lasting relationship."),
    ("skill", "A particular skill", "Time management, research, English or another specific skill."),
)


def default_terms() -> dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]]:
    """The sample program's vocabularies as ``kind -> ((value, label, synonyms), ...)``, in order: the seed
    of every new database's ``vocabulary_terms``."""
    return {
        "sector": tuple((v, SECTOR_LABELS[v], SECTOR_SYNONYMS.get(v, ())) for v in SECTORS),
        "career_stage": tuple((v, CAREER_STAGE_LABELS[v], CAREER_STAGE_SYNONYMS.get(v, ())) for v in CAREER_STAGES),
        "interest": tuple((v, v, ()) for v in INTERESTS),
        "language": tuple((v, v, LANGUAGE_SYNONYMS.get(v, ())) for v in LANGUAGES),
        "method": tuple((v, METHOD_LABELS[v], METHOD_SYNONYMS.get(v, ())) for v in METHODS),
        "impact_category": tuple((code, label, ()) for code, label, _ in IMPACT_CATEGORIES),
    }


#: Share of respondents per impact category in "Rethinking mentoring" (domain.md's table); the sample's
#: generator draws its coded answers from these, and the Outcomes page compares a program's shares with them.
IMPACT_SHARES: dict[str, float] = {
    "awareness": 0.30, "international": 0.30, "ideas": 0.20, "confidence": 0.16,
    "development": 0.10, "networking": 0.10, "skill": 0.07,
}

#: A rating of 4 or 5 on the 1–5 scale counts as satisfied.
SATISFIED_MIN = 4
