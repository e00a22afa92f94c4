"""kombu's filesystem transport (the embedded default's broker), with messages that appear
whole.

kombu creates the message file under its final name and then writes it, so a worker
polling the folder can take the file while it is still empty and fail to decode it. Celery
treats that as unrecoverable and the worker exits (it happened on a fresh `./run.sh`: web
and beat sent drain requests while the worker polled). Here a message is written under a
name no reader looks at and renamed into place, which is atomic within a folder.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

PARTIAL_PREFIX = ".partial-"  # and no ".<queue>.msg" in it: readers pick only those names


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The same name as kombu's: readers take messages in sorted (time) order.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f"{PARTIAL_PREFIX}{uuid.uuid4()}")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            try:
                os.unlink(partial)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
