"""A caller's poll timeout holds even while the polls themselves fail."""

from __future__ import annotations

from contact_udfs import Status


def test_failing_polls_do_not_outlive_the_poll_timeout(sandbox, client_for):
    emails = sandbox.world.sample_emails(20, seed=21)
    sandbox.fault_rates("dropcontact.poll", {"500": 1.0}, seed=1)  # every poll fails
    client = client_for("dropcontact", CONTACT_UDFS_POLL_TIMEOUT="1")
    run = client.run("verify", emails)
    # without the deadline each poll alone would be tried 5 times with backoff
    assert 1 <= sandbox.requests("dropcontact.poll") <= 5
    assert run.report.pending == 20
    assert all(r.status is Status.UNKNOWN and r.reason == "pending" for r in run.results)
    assert sandbox.credits_spent("dropcontact") == 20

    sandbox.clear_faults()
    again = client.run("verify", emails)  # the journaled job is collected, not paid again
    assert sandbox.credits_spent("dropcontact") == 20 and again.report.pending == 0
    assert sandbox.requests("dropcontact.submit") == 1
