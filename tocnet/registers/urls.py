from django.urls import path

from tocnet.registers import leader_views, views

app_name = "registers"
urlpatterns = [
    path("plan/", views.plan_overview, name="plan_overview"),
    path("plan/approve-all/", views.plan_approve_all, name="plan_approve_all"),
    path("plan/<uuid:code>/", views.plan_unit_detail, name="plan_unit"),
    path("plan/<uuid:code>/approve/", views.plan_approve, name="plan_approve"),
    path("representatives.xlsx", leader_views.representatives_export, name="representatives_xlsx"),
    path("terms/renew/", leader_views.terms_renew, name="terms_renew"),
    path("<uuid:code>/leaders/", leader_views.register_leaders, name="leaders"),
]
