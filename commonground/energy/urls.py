from django.urls import path

from . import campaign_views, heat_picture_views, heat_views, left_out_views, views

app_name = "energy"

urlpatterns = [
    path("energy/", views.index, name="index"),
    path("energy/home/", views.home, name="home"),
    path("energy/heat/options/", heat_views.heat_options_page, name="heat_options"),
    path("energy/heat/", heat_picture_views.heat, name="heat"),
    path("energy/heat/campaign/", campaign_views.campaign_page, name="campaign"),
    path("energy/heat/campaign.csv", campaign_views.campaign_csv, name="campaign_csv"),
    path("energy/heat/<str:geography>/<str:code>/", heat_picture_views.heat_area,
         name="heat_area"),
    path("energy/neighbourhoods/", views.neighbourhoods, name="neighbourhoods"),
    path("energy/buildings/", views.buildings, name="buildings"),
    path("energy/options/", views.options, name="options"),
    path("energy/options/<int:offer_id>/interest", views.register, name="register"),
    path("energy/options/<int:offer_id>/interest/sent", views.registered, name="registered"),
    path("energy/interest/<str:token>/", views.interest, name="interest"),
    path("energy/provider/", views.provider, name="provider"),
    path("energy/provider/offers/new", views.offer_edit, name="offer_new"),
    path("energy/provider/offers/<int:offer_id>/", views.offer_edit, name="offer_edit"),
    path("energy/reach/", views.reach_page, name="reach"),
    path("energy/left-out/", left_out_views.index, name="left_out"),
    path("energy/left-out/offers/<int:offer_id>/", left_out_views.offer,
         name="left_out_offer"),
    path("energy/left-out/schemes/<str:key>/", left_out_views.scheme, name="left_out_scheme"),
    path("energy/buildings/<slug:dataset>/<int:row_id>/", views.building, name="building"),
]
