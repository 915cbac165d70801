from django.contrib import admin

from tocnet.conversations.models import Article, Holiday, SavedAnswer


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = ("title", "department", "published", "updated_at")
    list_filter = ("department", "published")
    search_fields = ("title", "keywords", "answer")


@admin.register(SavedAnswer)
class SavedAnswerAdmin(admin.ModelAdmin[SavedAnswer]):
    list_display = ("title", "department")
    list_filter = ("department",)
    search_fields = ("title", "text")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin[Holiday]):
    """Public holidays: the answer target skips them (and weekends)."""

    list_display = ("date", "name")
    date_hierarchy = "date"
    search_fields = ("name",)
