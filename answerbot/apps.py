from django.apps import AppConfig


class AnswerBotConfig(AppConfig):
    name = "answerbot"
    verbose_name = "Answer bot"

    def ready(self) -> None:
        from conversations import registry

        from . import tasks
        from .selectors import inbox_bot_takes

        registry.register_answer_bot(takes=inbox_bot_takes, turn=tasks.queue_bot_turn)
