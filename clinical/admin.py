"""The admin: sessions, their events and chat, read-only (the review issue deepens it)."""

from django.contrib import admin

from clinical.models import CareTeam, ChatMessage, StreamEvent, StreamSession


class StreamEventInline(admin.TabularInline):
    model = StreamEvent
    fields = ["seq", "type", "stage", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StreamSession)
class StreamSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "kind", "status", "primary_diagnosis", "urgency", "created_at"]
    list_filter = ["kind", "status", "urgency", "created_at"]
    search_fields = ["primary_diagnosis", "icd10", "owner__username"]
    list_select_related = ["owner"]
    inlines = [StreamEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["room", "author", "created_at"]
    list_select_related = ["author"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(CareTeam)
