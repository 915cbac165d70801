from django.contrib import admin

from tocnet.reports.models import Campaign, UnitSubmission

admin.site.register(Campaign)
admin.site.register(UnitSubmission)
