from django.urls import path

from tocnet.reports import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("my/register/", views.my_register, name="my_register"),
    path("reports/forms/", views.forms, name="forms"),
    path("reports/forms/all.zip", views.forms_zip_download, name="forms_zip"),
    path("reports/forms/pdf-zip/", views.forms_pdf_zip_request, name="forms_pdf_zip"),
    path("reports/forms/xlsx-zip/", views.forms_xlsx_zip_request, name="forms_xlsx_zip"),
    path("reports/jobs/<uuid:code>/", views.report_job_download, name="report_job"),
    path("reports/jobs/<uuid:code>/status/", views.report_job_status, name="report_job_status"),
    path(
        "reports/units/<uuid:code>/attachment3.<str:fmt>",
        views.attachment3_download,
        name="attachment3",
    ),
    path(
        "reports/units/<uuid:code>/attachment2.xlsx",
        views.attachment2_download,
        name="attachment2",
    ),
    path("reports/units/<uuid:code>/upload/", views.form_upload, name="upload"),
    path("reports/units/<uuid:code>/submit/", views.submit, name="submit"),
    path("reports/uploads/<uuid:code>/", views.upload_detail, name="upload_detail"),
]
