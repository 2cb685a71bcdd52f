"""Checks a feature, opens a session and takes a floating seat through the Lictor Runtime."""
import os

from lictor_runtime import Client

feature = os.environ.get("LICTOR_FEATURE", "reports")
with Client(os.environ["LICTOR_PUBLIC_KEY"], os.environ.get("LICTOR_PRODUCT", "ERP")) as runtime:
    grant = runtime.check(feature)  # raises LictorError unless licensed and proven
    print(f"check: {grant.product}/{grant.feature} licensed by {grant.serial} ({grant.type})")
    with runtime.open_session(feature) as session:
        print(f"session: {session.id} of process {session.pid} on {session.license_file}")
        with runtime.take_seat(feature) as seat:
            print(f"seat: lease {seat.lease_id} from {seat.manager} until {seat.expires_at}")
