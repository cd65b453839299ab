"""`manage.py sample_intake_form`: a sample immigration / employment / family intake form,
so a newcomer sees practice areas and questions in one step (README, "Intake questions")."""

from django.core.management.base import BaseCommand

from leads import services

YES_NO = "yes_no"

AREAS = [
    {
        "slug": "immigration",
        "name": "Immigration",
        "description": "Visas, green cards, citizenship, asylum and removal defence.",
        "translations": {
            "es": {"name": "Inmigración", "description": "Visas, residencia, ciudadanía y asilo."}
        },
        "questions": [
            {
                "key": "immigration_matter",
                "label": "What is your matter about?",
                "kind": "choice",
                "required": True,
                "translations": {
                    "es": {
                        "label": "¿De qué trata su asunto?",
                        "options": {
                            "visa": "Una visa",
                            "green_card": "Una tarjeta de residencia (green card)",
                            "citizenship": "La ciudadanía",
                            "asylum": "Asilo",
                            "removal": "Un procedimiento de deportación",
                        },
                    }
                },
                "options": [
                    {"value": "visa", "label": "A visa"},
                    {"value": "green_card", "label": "A green card"},
                    {"value": "citizenship", "label": "Citizenship"},
                    {"value": "asylum", "label": "Asylum"},
                    {"value": "removal", "label": "Removal proceedings"},
                ],
            },
            {
                "key": "in_the_us",
                "label": "Are you in the United States now?",
                "translations": {"es": {"label": "¿Se encuentra usted ahora en los Estados Unidos?"}},
                "kind": YES_NO,
                "required": True,
            },
            {
                "key": "court_date",
                "label": "When is your next court date?",
                "translations": {"es": {"label": "¿Cuándo es su próxima fecha de audiencia?"}},
                "kind": "date",
                "show_if": ("immigration_matter", ["removal"]),
                "required": True,
            },
        ],
    },
    {
        "slug": "employment",
        "name": "Employment",
        "description": "Wrongful dismissal, discrimination, unpaid wages.",
        "translations": {
            "es": {"name": "Empleo", "description": "Despido, discriminación, salarios impagos."}
        },
        "questions": [
            {
                "key": "employment_issue",
                "label": "What happened?",
                "translations": {
                    "es": {
                        "label": "¿Qué ocurrió?",
                        "options": {
                            "dismissal": "Me despidieron",
                            "discrimination": "Discriminación o acoso",
                            "wages": "Salarios u horas extra impagos",
                        },
                    }
                },
                "kind": "choices",
                "required": True,
                "options": [
                    {"value": "dismissal", "label": "I was dismissed"},
                    {"value": "discrimination", "label": "Discrimination or harassment"},
                    {"value": "wages", "label": "Unpaid wages or overtime"},
                ],
            },
            {
                "key": "still_employed",
                "label": "Do you still work there?",
                "kind": YES_NO,
                "translations": {"es": {"label": "¿Sigue trabajando allí?"}},
            },
            {
                "key": "employees",
                "label": "About how many people work for the employer?",
                "kind": "number",
                "help_text": "A guess is fine.",
                "translations": {
                    "es": {
                        "label": "¿Aproximadamente cuántas personas trabajan para el empleador?",
                        "help_text": "Basta con una estimación.",
                    }
                },
            },
        ],
    },
    {
        "slug": "family",
        "name": "Family",
        "description": "Divorce, custody, support and adoption.",
        "translations": {
            "es": {"name": "Familia", "description": "Divorcio, custodia, manutención y adopción."}
        },
        "questions": [
            {
                "key": "children",
                "label": "Are there children involved?",
                "kind": YES_NO,
                "required": True,
                "translations": {"es": {"label": "¿Hay hijos de por medio?"}},
            },
            {
                "key": "children_count",
                "label": "How many children?",
                "translations": {"es": {"label": "¿Cuántos hijos?"}},
                "kind": "number",
                "show_if": ("children", ["yes"]),
            },
        ],
    },
]

GENERAL = [
    {
        "key": "phone",
        "label": "Phone number",
        "kind": "phone",
        "help_text": "If you would rather we call you.",
        "translations": {"es": {"label": "Número de teléfono", "help_text": "Si prefiere que le llamemos."}},
    },
    {
        "key": "summary",
        "label": "Tell us briefly what you need",
        "kind": "long_text",
        "help_text": "A few sentences are enough. Please do not send documents here.",
        "translations": {
            "es": {
                "label": "Cuéntenos brevemente qué necesita",
                "help_text": "Bastan unas pocas frases. Por favor, no envíe documentos aquí.",
            }
        },
    },
]


class Command(BaseCommand):
    help = (
        "Set up a sample intake form: practice areas Immigration, Employment and Family, each "
        "with its questions, and two questions for everyone. Run again, it changes nothing."
    )

    def handle(self, *args, **options):
        created = services.set_up_intake_form(areas=AREAS, general_questions=GENERAL)
        self.stdout.write(
            f"{created['areas']} practice areas and {created['questions']} questions are set up."
        )
