"""Words for the synthetic program: fictional names, topic titles and survey answers.

All names are invented combinations; any likeness to a real participant is chance.
"""

from __future__ import annotations

from workbench.schedule import FIRST_BODY, FIRST_TOPIC

GIVEN: dict[str, tuple[str, ...]] = {
    "anglo": ("Olivia", "James", "Charlotte", "Liam", "Amelia", "Noah", "Grace", "Jack", "Ruby", "Ethan",
              "Chloe", "Lucas", "Isla", "Henry", "Zoe", "Samuel", "Hannah", "Oscar", "Ella", "Thomas"),
    "hispanic": ("Lucía", "Mateo", "Sofía", "Santiago", "Valentina", "Diego", "Camila", "Javier",
                 "Isabel", "Andrés", "Paula", "Carlos", "Daniela", "Miguel", "Elena"),
    "lusophone": ("Ana", "João", "Beatriz", "Pedro", "Mariana", "Tiago", "Inês", "Rafael", "Larissa"),
    "franco": ("Camille", "Julien", "Amélie", "Mathieu", "Aïcha", "Moussa", "Claire", "Koffi", "Nadia"),
    "arabic": ("Layla", "Omar", "Yasmin", "Khaled", "Noor", "Tariq", "Huda", "Samir", "Rania"),
    "southasia": ("Priya", "Arjun", "Ananya", "Rahul", "Fatima", "Imran", "Kavya", "Sanjay", "Nadia",
                  "Tharindu", "Dilani", "Anil", "Sunita"),
    "eastasia": ("Mei", "Wei", "Yuki", "Haruto", "Ji-woo", "Min-jun", "Li", "Hana", "Jun"),
    "seasia": ("Maria", "Jose", "Siti", "Ahmad", "Nguyen", "Linh", "Somchai", "Dewi", "Rizal", "Mark"),
    "africa": ("Amara", "Chinedu", "Wanjiru", "Kwame", "Thandiwe", "Tendai", "Abena", "Baraka",
               "Zanele", "Emeka", "Faith", "Blessing", "Grace", "Sipho", "Achieng"),
    "europe": ("Anna", "Lukas", "Eva", "Jakub", "Ingrid", "Mikko", "Katarzyna", "Nikos", "Elif",
               "Matteo", "Sara", "Jonas", "Irina", "Marek", "Sophie"),
    "pacific": ("Sione", "Mele", "Tavita", "Losa", "Aroha", "Tane", "Ana", "Viliami", "Salote"),
}
FAMILY: dict[str, tuple[str, ...]] = {
    "anglo": ("Smith", "Brown", "Wilson", "Taylor", "Campbell", "Walker", "Kelly", "Harris", "Clarke",
              "Murphy", "Robinson", "Young", "Mitchell", "Hughes", "Palmer", "Fraser"),
    "hispanic": ("García", "Martínez", "López", "Hernández", "Torres", "Ramírez", "Flores", "Vargas",
                 "Castro", "Morales", "Ortiz", "Reyes"),
    "lusophone": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira"),
    "franco": ("Martin", "Dubois", "Diallo", "Traoré", "Leroy", "Kouassi", "Ndiaye", "Moreau", "Mbarga"),
    "arabic": ("Haddad", "Mansour", "Khalil", "Nasser", "Saleh", "Hamdan", "Farouk", "Aziz"),
    "southasia": ("Sharma", "Patel", "Khan", "Perera", "Fernando", "Gupta", "Reddy", "Iyer", "Shrestha",
                  "Rahman", "Chowdhury", "Ahmed"),
    "eastasia": ("Wang", "Chen", "Tanaka", "Sato", "Kim", "Park", "Lee", "Liu", "Nakamura"),
    "seasia": ("Santos", "Reyes", "Tan", "Lim", "Wijaya", "Rahman", "Tran", "Pham", "Abdullah"),
    "africa": ("Okafor", "Mensah", "Mwangi", "Moyo", "Nkosi", "Adeyemi", "Otieno", "Banda", "Boateng",
               "Dlamini", "Njoroge", "Okeke", "Phiri", "Mutua"),
    "europe": ("Müller", "Novak", "Jansen", "Nielsen", "Kowalski", "Rossi", "Papadopoulos", "Virtanen",
               "Horvat", "Yılmaz", "Ivanova", "Schmidt", "Lindqvist", "Dvořák"),
    "pacific": ("Tupou", "Fonoti", "Leota", "Ngata", "Taufa", "Faleolo", "Kata", "Ruatapu"),
}

#: The fortnightly topics a round can draw on after "Getting to know you" (2016A had nine).
TOPICS: tuple[tuple[str, str], ...] = (
    (FIRST_TOPIC, FIRST_BODY),
    ("Library spaces", "How is the space of your library used, and how would you change it?"),
    ("Your users", "Who comes to your library, who does not, and why?"),
    ("Collections", "How are collections built and shared where you are?"),
    ("Management and leadership", "Who leads in your library, and how are decisions made?"),
    ("Technology in the library", "Which tools make your work easier, and which get in the way?"),
    ("Library advocacy", "How does your library show its value to those who fund it?"),
    ("Professional development", "How do librarians in your country keep learning?"),
    ("Working with the community", "Partnerships, events and outreach beyond the library walls."),
    ("Reflection and looking ahead", "What have you learnt from each other, and what comes next?"),
)

#: Phrases of impact answers, by code of the coding frame (workbench.sample.vocabularies.IMPACT_CATEGORIES).
IMPACT_PHRASES: dict[str, tuple[str, ...]] = {
    "awareness": (
        "It made me think about the wider profession beyond my day job.",
        "I have a much broader awareness of what librarianship can be.",
        "Stepping away from my immediate concerns to look at the profession as a whole was valuable.",
    ),
    "international": (
        "I now see my work in an international context.",
        "Learning how libraries work in another country changed how I see my own.",
        "I had never considered librarianship at an international level before.",
    ),
    "ideas": (
        "I got some great ideas for programs that I have already tried in my library.",
        "We exchanged new ideas about services and I introduced two of them at work.",
        "My partner shared an idea for student engagement that we adopted.",
    ),
    "confidence": (
        "It built up my confidence to contribute more at work.",
        "I feel more motivated and confident about my career.",
        "I realised I too have something to share, which boosted my confidence.",
    ),
    "development": (
        "It was professional development I could not otherwise afford.",
        "The program let me continue my professional development despite family commitments.",
        "A flexible way to keep developing professionally.",
    ),
    "networking": (
        "I started building an international network.",
        "My partner and I will stay in contact; I feel I have made a friend abroad.",
        "It expanded my professional network beyond my country.",
    ),
    "skill": (
        "It improved my English writing.",
        "I learnt better time management by keeping up with the topics.",
        "We developed research skills together and plan a joint paper.",
    ),
}
UNCODED_ANSWERS: tuple[str, ...] = (
    "Too early to say.",
    "Not much this time, we did not talk often.",
    "Hard to say, work was very busy this term.",
    "Nothing specific.",
)
INTERVENTION_REASONS: tuple[str, ...] = (
    "no contact reported for two fortnights",
    "partner has not replied within a week",
    "low rating at check-in",
)
