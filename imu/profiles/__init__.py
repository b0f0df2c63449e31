"""BLE sensor profiles: recognise a device, configure it, decode its notifications.

See :mod:`imu.profiles.base` for the API and ``firmware_notes/README.md`` for the sensors.
"""
from __future__ import annotations

from .base import (Decoder, DecodeError, Encoder, EncoderBase, Profile, Samples,
                   normalize_uuid)
from .diy import DiyProfile
from .metawear import MetaWearProfile
from .movesense import MovesenseProfile
from .polar import PolarProfile
from .thingy52 import Thingy52Profile
from .witmotion import WitMotionProfile

#: Default-configured profiles by name.  Prefer :func:`recognise` (or ``PROFILES[x].for_device``)
#: to get a per-device copy: profiles remember the rate of their last ``start_commands`` call.
PROFILES: dict[str, Profile] = {p.name: p for p in (
    DiyProfile(), MovesenseProfile(), PolarProfile(), WitMotionProfile(), Thingy52Profile(),
    MetaWearProfile())}


def recognise(name: str | None, service_uuids: list[str] | None = None) -> Profile | None:
    """The profile for an advertisement (local name, advertised service UUIDs), as a fresh copy.

    Service-UUID matches win over name matches; ``None`` if nothing matches.
    """
    uuids = list(service_uuids or [])
    for p in PROFILES.values():
        if uuids and p.matches(None, uuids):
            return p.for_device(name)
    for p in PROFILES.values():
        if p.matches(name, []):
            return p.for_device(name)
    return None


__all__ = ["Decoder", "DecodeError", "Encoder", "EncoderBase", "Profile", "Samples", "PROFILES",
           "recognise", "normalize_uuid", "DiyProfile", "MetaWearProfile", "MovesenseProfile",
           "PolarProfile", "Thingy52Profile", "WitMotionProfile"]
