import base64
import os
import pickle
import zlib

import pytest

from verl_srpo.eval.safe_pickle import UnsafePickleError, decode_private_tests, encode_private_tests, plain_loads

TESTS = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]


class _Exploit:
    """A payload that would run a shell command if unpickled with pickle.loads."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/srpo_pwned",))


def _encode(obj) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def test_round_trip_of_the_dataset_encoding():
    assert decode_private_tests(encode_private_tests(TESTS)) == TESTS


def test_plain_json_field_is_read_as_json():
    assert decode_private_tests('[{"input": "x", "output": "y", "testtype": "stdin"}]')[0]["output"] == "y"


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_plain_types_are_admitted(protocol):
    value = {"a": [1, 2.5, None, True, 2**70], "b": ("t", "é"), "c": "s"}
    assert plain_loads(pickle.dumps(value, protocol=protocol)) == value
    if protocol >= 3:  # bytes need a global (codecs.encode) below protocol 3
        assert plain_loads(pickle.dumps(b"x", protocol=protocol)) == b"x"


def test_malicious_payload_is_rejected_without_running(tmp_path):
    marker = "/tmp/srpo_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    with pytest.raises(UnsafePickleError, match="posix.system|os.system"):
        decode_private_tests(_encode(_Exploit()))
    assert not os.path.exists(marker)


def test_non_plain_class_is_rejected():
    import collections

    with pytest.raises(UnsafePickleError, match="collections.OrderedDict"):
        plain_loads(pickle.dumps(collections.OrderedDict(a=1)))


def test_garbage_field_fails_clearly():
    with pytest.raises(ValueError, match="neither JSON nor base64"):
        decode_private_tests("!!not base64!!")
    with pytest.raises(ValueError, match="list of dicts"):
        decode_private_tests(_encode('{"input": 1}'))
