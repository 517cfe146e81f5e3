from django.contrib import admin

from .models import Comment, Consultation, ModerationAction, OfficialResponse, Question, Report


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "opens", "closes")
    list_filter = ("organisation",)
    search_fields = ("title",)
    inlines = [QuestionInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "consultation", "author", "created", "hidden")
    list_filter = ("hidden",)
    raw_id_fields = ("consultation", "question", "parent", "author")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("comment", "created", "resolved")
    list_filter = ("resolved",)
    raw_id_fields = ("comment", "reporter")


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ("action", "comment", "created", "reason")
    raw_id_fields = ("comment", "moderator")


@admin.register(OfficialResponse)
class OfficialResponseAdmin(admin.ModelAdmin):
    list_display = ("consultation", "published")
    raw_id_fields = ("consultation", "by")
    filter_horizontal = ("answers",)
