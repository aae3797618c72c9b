"""The program's controlled vocabularies: sectors, career stages, interests, languages, methods, codes.

One list each, used by the sample generator, the import validation, the matching and the pages.
"""

from __future__ import annotations

SECTORS: tuple[str, ...] = ("academic", "public", "school", "special", "national", "other")
CAREER_STAGES: tuple[str, ...] = ("student", "early", "mid", "senior")

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

#: How partners talk to each other (check-ins and surveys).
METHODS: tuple[str, ...] = ("email", "video call", "chat", "social media", "phone", "other")

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

#: Share of respondents per impact category in "Rethinking mentoring" (domain.md's table).
IMPACT_SHARES: dict[str, float] = {
    "awareness": 0.30, "international": 0.30, "ideas": 0.20, "confidence": 0.16,
    "development": 0.10, "networking": 0.10, "skill": 0.07,
}

#: A rating of 4 or 5 on the 1–5 scale counts as satisfied.
SATISFIED_MIN = 4
