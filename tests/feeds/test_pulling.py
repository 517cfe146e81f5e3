"""Pulled feeds: the hub fetches a feed's URL (CSV, the push API's JSON, or a SensorThings
service's Observations, page by page) with its safe fetcher and writes it all or nothing;
every run is recorded with what it changed; a failed run writes nothing, says why, and is
tried again with back-off (1, 2, 4 ... at most 24 intervals), shown on the feed's page. The
same schedule refreshes datasets' URL resources: unchanged content makes no version.

The servers here listen on 127.0.0.1 only, so the pulls pass ``allow_private=True`` (the
fetcher's flag for tests and the operator's local network); one test checks that without it
such an address is refused."""

from __future__ import annotations

import http.server
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from commonground.accounts.models import Membership
from commonground.catalogue.models import Dataset, Resource, Version
from commonground.feeds import pulling, schedule
from commonground.feeds.models import Datastream, Feed, Observation, PullRun, Thing

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


class Server:
    """A local HTTP server answering ``routes[path]`` (bytes, or "hang" to never answer)."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                body = routes.get(self.path)
                if body == "hang":
                    time.sleep(2)
                    return
                if isinstance(body, tuple):  # ("slow", body): answers after 0.3 s
                    time.sleep(0.3)
                    body = body[1]
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def feed(council, server):
    feed = Feed.objects.create(organisation=council, slug="bays", title="Parking bays",
                               state=Feed.State.PUBLISHED, pull_url=server.url + "/bays.csv",
                               pull_format="csv", pull_every_minutes=10)
    for key in ("b1", "b2"):
        thing = Thing.objects.create(feed=feed, key=key, name=f"Bay {key}")
        Datastream.objects.create(thing=thing, key="free", name="Free spaces",
                                  observed_property="free spaces")
    return feed


def csv_body(*rows) -> bytes:
    return ("thing,datastream,time,value\n" + "".join(
        f"{t},free,{(T0 + timedelta(minutes=m)).isoformat()},{v}\n" for t, m, v in rows)
    ).encode()


def pull(feed, **options):
    return pulling.pull_feed(feed, allow_private=True, **options)


def stored():
    return sorted((o.datastream.thing.key, o.time, o.number)
                  for o in Observation.objects.select_related("datastream__thing"))


def test_a_csv_pull_writes_its_rows_and_records_what_changed(feed, server):
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3), ("b2", 0, 5))
    run = pull(feed)
    assert (run.status, run.added, run.unchanged, run.attempt) == ("done", 2, 0, 1)
    assert stored() == [("b1", T0, 3.0), ("b2", T0, 5.0)]

    server.routes["/bays.csv"] = csv_body(("b1", 0, 3), ("b2", 0, 5), ("b1", 5, 4))
    run = pull(feed)
    assert (run.added, run.unchanged) == (1, 2)
    assert "1 added, 2 unchanged" in run.message and run.next_try is None
    assert len(stored()) == 3


def test_a_json_pull_takes_the_push_apis_batch(feed, server):
    feed.pull_url, feed.pull_format = server.url + "/bays.json", "json"
    feed.save()
    server.routes["/bays.json"] = json.dumps({"observations": [
        {"thing": "b1", "datastream": "free", "time": "2024-05-01T10:00:00+01:00",
         "value": 7}]}).encode()
    run = pull(feed)
    assert run.status == "done" and stored() == [("b1", T0, 7.0)]


def test_a_sensorthings_pull_follows_next_links_for_a_bounded_number_of_pages(
        feed, server, monkeypatch):
    Datastream.objects.filter(thing__key="b2").delete()
    Datastream.objects.filter(thing__key="b1").update(key="42")
    feed.pull_url = server.url + "/v1.1/Datastreams(42)/Observations"
    feed.pull_format = "sensorthings"
    feed.save()
    for page in range(3):
        following = {"@iot.nextLink": f"{server.url}/page{page + 1}"} if page < 2 else {}
        body = {"value": [{"phenomenonTime": (T0 + timedelta(minutes=page)).isoformat(),
                           "result": page}], **following}
        server.routes["/v1.1/Datastreams(42)/Observations" if page == 0 else f"/page{page}"] \
            = json.dumps(body).encode()
    run = pull(feed)
    assert run.status == "done" and run.added == 3
    assert [n for _, _, n in stored()] == [0.0, 1.0, 2.0]

    monkeypatch.setattr(pulling, "MAX_PAGES", 2)
    run = pull(feed)
    assert run.status == "done" and run.unchanged == 2
    assert "stopped after 2 pages with more to read" in run.message


def test_sensorthings_pages_share_one_time_limit(feed, server):
    Datastream.objects.filter(thing__key="b2").delete()
    feed.pull_url, feed.pull_format = server.url + "/p0", "sensorthings"
    feed.save()
    for page in range(5):
        body = {"value": [{"phenomenonTime": (T0 + timedelta(minutes=page)).isoformat(),
                           "result": page}], "@iot.nextLink": f"{server.url}/p{page + 1}"}
        server.routes[f"/p{page}"] = ("slow", json.dumps(body).encode())
    started = time.monotonic()
    run = pull(feed, max_seconds=0.5)  # each page takes 0.3 s
    assert time.monotonic() - started < 1.0
    assert run.status == "failed" and stored() == []
    assert "took longer than" in run.message and "stopped" in run.message


def test_an_unexpected_error_fails_the_run_and_the_round_goes_on(feed, server, monkeypatch,
                                                                  council, settings):
    settings.COMMONGROUND_FETCH_ALLOW_PRIVATE = True
    other = Feed.objects.create(organisation=council, slug="other", title="Other",
                                pull_url=server.url + "/bays.csv", pull_format="csv",
                                pull_every_minutes=10)
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))

    def broken(feed, rows, **options):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(pulling.writing, "write_observations", broken)
    ran = pulling.run_due()
    assert (ran.feeds, ran.failed) == (2, 2)
    for one in (feed, other):
        run = one.pull_runs.get()
        assert run.status == "failed" and run.message == pulling.UNEXPECTED
        assert run.next_try is not None


def test_one_bad_row_writes_nothing_and_the_run_names_its_line_and_field(feed, server):
    server.routes["/bays.csv"] = (csv_body(("b1", 0, 3)).decode()
                                  + "b2,free,2024-05-01T09:00:00Z,lots\n").encode()
    before = timezone.now()
    run = pull(feed)
    assert run.status == "failed" and stored() == []
    assert "line 3, value: must be a number, not 'lots'" in run.message
    assert before + timedelta(minutes=10) <= run.next_try <= timezone.now() + timedelta(
        minutes=10)


def test_failed_pulls_back_off_doubling_up_to_24_intervals_then_recover(feed, server):
    assert [pulling.backoff(timedelta(minutes=10), n) for n in (1, 2, 3, 4, 5, 6, 9)] == [
        timedelta(minutes=m) for m in (10, 20, 40, 80, 160, 240, 240)]
    waits = []
    for _ in range(3):  # nothing at that path: 404
        run = pull(feed)
        waits.append(((run.next_try - run.finished), run.attempt))
    assert waits == [(timedelta(minutes=10), 1), (timedelta(minutes=20), 2),
                     (timedelta(minutes=40), 3)]
    assert "404" in run.message
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))
    run = pull(feed)
    assert (run.status, run.attempt, run.next_try) == ("done", 4, None)  # the 4th try
    assert pull(feed).attempt == 1


def test_a_private_address_is_refused_without_connecting(feed, server):
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))
    run = pulling.pull_feed(feed, allow_private=False)
    assert run.status == "failed" and stored() == [] and server.hits == []
    assert "refused: 127.0.0.1 is" in run.message and "public" in run.message


def test_a_url_that_hangs_fails_with_a_clear_message(feed, server):
    server.routes["/bays.csv"] = "hang"
    started = time.monotonic()
    run = pull(feed, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert run.status == "failed" and "did not answer within 0.3 s" in run.message


def test_a_feed_is_due_when_its_interval_has_passed_or_its_retry_is_due(feed, server):
    assert pulling.due_feeds() == [feed]  # never pulled
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))
    run = pull(feed)
    assert pulling.due_feeds() == []
    assert pulling.due_feeds(run.finished + timedelta(minutes=10)) == [feed]
    del server.routes["/bays.csv"]
    failed = pull(feed)
    assert pulling.due_feeds(failed.next_try - timedelta(seconds=1)) == []
    assert pulling.due_feeds(failed.next_try) == [feed]
    assert pulling.next_pull(feed) == failed.next_try


def test_the_feeds_page_shows_its_last_runs_and_next_try(feed, server, client):
    pull(feed)  # 404: failed
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))
    pull(feed)
    del server.routes["/bays.csv"]
    failed = pull(feed)
    page = client.get(feed.get_absolute_url()).content.decode()
    assert "Pulled every 10 minutes" in page and "Done (try 2)" in page
    assert f"Next try: {failed.next_try:%Y-%m-%d %H:%M} UTC" in page
    # the URL may carry the supplier's token, and messages repeat it: editors only
    assert feed.pull_url not in page and "answered 404" not in page

    user = User.objects.create_user("ed", password="x")
    Membership.objects.create(organisation=feed.organisation, user=user, role="editor")
    client.force_login(user)
    page = client.get(feed.get_absolute_url()).content.decode()
    assert f"Pulled from <code>{feed.pull_url}</code>" in page
    assert "1 added, 0 unchanged" in page and "answered 404" in page


def test_run_pulls_pulls_what_is_due_and_the_worker_keeps_a_round_waiting(
        feed, server, settings, monkeypatch):
    from django_tasks import TaskResultStatus
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    settings.COMMONGROUND_FETCH_ALLOW_PRIVATE = True
    server.routes["/bays.csv"] = csv_body(("b1", 0, 3))
    call_command("run_pulls", stdout=open("/dev/null", "w"))
    assert PullRun.objects.get(feed=feed).added == 1
    rounds = DBTaskResult.objects.filter(task_path=schedule.feeds_task.module_path)
    assert rounds.filter(status=TaskResultStatus.READY).count() == 1
    schedule.schedule()  # one is already waiting
    assert rounds.filter(status=TaskResultStatus.READY).count() == 1

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert rounds.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
    waiting = rounds.get(status=TaskResultStatus.READY)
    assert schedule.EVERY - timedelta(seconds=30) < waiting.run_after - timezone.now() \
        <= schedule.EVERY
    assert PullRun.objects.filter(feed=feed).count() == 1  # not due again yet


@pytest.fixture
def url_resource(make_dataset, server, ingest_path, tmp_path):
    server.routes["/counts.csv"] = b"ward,count\nA,1\nB,2\n"
    dataset = make_dataset("counts", frequency=Dataset.Frequency.DAILY)
    resource = Resource.objects.create(dataset=dataset, name="Counts", kind=Resource.Kind.URL,
                                       url=server.url + "/counts.csv")
    run = pulling.refresh_resource(resource, allow_private=True)  # the first fetch
    assert run.status == "done", run.message
    return Resource.objects.get(pk=resource.pk)


def test_a_daily_url_resource_is_refreshed_and_unchanged_content_makes_no_version(
        url_resource, server):
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert pulling.due_resources() == []
    assert pulling.due_resources(later) == [url_resource]

    run = pulling.refresh_resource(url_resource, allow_private=True)
    assert run.status == "done" and run.unchanged == 1 and "unchanged" in run.message
    assert Version.objects.filter(resource=url_resource).count() == 1

    server.routes["/counts.csv"] = b"ward,count\nA,1\nB,3\n"
    run = pulling.refresh_resource(url_resource, allow_private=True)
    assert run.status == "done" and run.added == 1 and "version 2" in run.message
    resource = Resource.objects.get(pk=url_resource.pk)
    assert resource.current_version.number == 2
    assert resource.jobs.order_by("-created").first().source_url == resource.url


def test_a_failed_refresh_keeps_the_version_and_is_retried_later(url_resource, server):
    del server.routes["/counts.csv"]
    run = pulling.refresh_resource(url_resource, allow_private=True)
    assert run.status == "failed" and "404" in run.message
    assert run.next_try - run.finished == timedelta(days=1)
    assert Resource.objects.get(pk=url_resource.pk).current_version.number == 1


def test_an_editor_sets_the_pull_url_on_the_manage_page_and_a_private_one_is_refused(
        feed, server, client, settings, django_capture_on_commit_callbacks):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    feed.pull_url, feed.pull_format, feed.pull_every_minutes = "", "", None
    feed.save()
    user = User.objects.create_user("ed", password="x")
    Membership.objects.create(organisation=feed.organisation, user=user, role="editor")
    client.force_login(user)
    url = f"/feeds/{feed.slug}/pull"
    answer = client.post(url, {"pull_url": server.url + "/bays.csv", "pull_format": "csv",
                               "pull_every_minutes": "10"})
    assert answer.status_code == 400
    assert "refused: 127.0.0.1 is" in answer.content.decode()
    assert Feed.objects.get(pk=feed.pk).pull_url == ""

    answer = client.post(url, {"pull_url": "https://example.org/x.csv", "pull_format": "csv",
                               "pull_every_minutes": "1"})
    assert answer.status_code == 400 and "greater than or equal to 5" in answer.content.decode()

    settings.COMMONGROUND_FETCH_ALLOW_PRIVATE = True  # the operator's local network
    with_worker = DBTaskResult.objects.filter(task_path=schedule.feeds_task.module_path,
                                              status=TaskResultStatus.READY)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {"pull_url": server.url + "/bays.csv",
                                   "pull_format": "csv", "pull_every_minutes": "10"})
    assert answer.status_code == 302
    feed.refresh_from_db()
    assert (feed.pull_url, feed.pull_format, feed.pull_every_minutes) == (
        server.url + "/bays.csv", "csv", 10)
    assert with_worker.count() == 1  # the worker's round is scheduled
    assert client.post(url, {"pull_url": ""}).status_code == 302
    assert Feed.objects.get(pk=feed.pk).pull_url == ""
