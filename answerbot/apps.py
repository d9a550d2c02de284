from django.apps import AppConfig


class AnswerBotConfig(AppConfig):
    name = "answerbot"
    verbose_name = "Answer bot"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from conversations import registry
        from conversations.settings_rows import settings_rows_changed

        from . import tasks
        from .models import AnswerBot
        from .selectors import inbox_bot_takes

        registry.register_answer_bot(takes=inbox_bot_takes, turn=tasks.queue_bot_turn)
        post_save.connect(settings_rows_changed, sender=AnswerBot, dispatch_uid="settings-rows-bot-saved")
        post_delete.connect(settings_rows_changed, sender=AnswerBot, dispatch_uid="settings-rows-bot-deleted")
