"""Start-up (issue 16, bench/README.md round 4): what python -m emulator does not do at start
(import PyYAML, build route schemas, compile marshmallow's e-mail regexes, collect while
importing) and that everything still works when it is done later."""

from __future__ import annotations

import gc
import subprocess
import sys

from emulator.core import gctune


def test_default_start_needs_neither_yaml_nor_a_route_schema():
    code = """
import sys
from emulator.app import RUNTIME, create_app
app = create_app()
assert 'yaml' not in sys.modules, 'PyYAML imported'
rt = app[RUNTIME]
from emulator.core.call import SchemaRef
built = [r.api for p in rt.providers.values() for r in p.route_table() if not isinstance(r._schema, (type, SchemaRef, type(None)))]
assert not built, built
assert rt.providers['tencent'].backend.tenants, 'default scenario not loaded'
lazy = [m for m in ('tencent.schemas', 'tencent.schemas_messages', 'tencent.schemas_users', 'openim.schemas', 'openim.schemas_messages', 'openim.schemas_users', 'rongcloud.schemas_entrust', 'rongcloud.schemas_users', 'rongcloud.schemas_legacy', 'rongcloud.schemas_messages') if 'emulator.providers.' + m in sys.modules]
assert not lazy, lazy
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_marshmallow_imported_with_deferred_email_regexes_still_validates_email():
    code = """
import re
from emulator.core import quickimport
compile_ = re.compile
quickimport.import_marshmallow()
assert re.compile is compile_
from marshmallow import ValidationError, validate
assert isinstance(validate.Email.DOMAIN_REGEX, quickimport.DeferredPattern)
assert validate.Email()("someone@example.com") == "someone@example.com"
try:
    validate.Email()("not an address")
except ValidationError:
    pass
else:
    raise AssertionError("accepted")
assert validate.Email.USER_REGEX.pattern.startswith("(^")
assert isinstance(re.compile("a"), re.Pattern)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_marshmallow_import_leaves_the_email_regexes_uncompiled():
    code = """
from emulator.core import quickimport
quickimport.import_marshmallow()
from marshmallow import validate
assert validate.Email.USER_REGEX._pattern is None and validate.Email.DOMAIN_REGEX._pattern is None
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_the_collector_paused_for_the_imports_is_back_on_after_create_app():
    from emulator.app import create_app
    was_enabled = gc.isenabled()
    try:
        gctune.pause_for_start()
        assert not gc.isenabled()
        frozen = gc.get_freeze_count()
        create_app()
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen       # what the imports made is frozen, not walked
        gctune.resume_after_imports()               # a second resume changes nothing
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable() if was_enabled else gc.disable()


def test_create_app_leaves_a_collector_it_did_not_pause_alone():
    from emulator.app import create_app
    gc.disable()
    try:
        create_app()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_every_route_schema_is_built_on_demand_and_kept():
    from emulator.app import RUNTIME, create_app
    rt = create_app()[RUNTIME]
    checked = 0
    for p in rt.providers.values():
        for r in p.route_table():
            cls = r.schema_class
            if cls is not None:
                assert isinstance(r.schema, cls) and r.schema is r.schema
                checked += 1
    assert checked > 100


def test_a_marshmallow_that_needs_its_patterns_at_import_is_imported_plainly():
    code = """
import re, sys
import marshmallow.validate as v   # loaded once, to plant a module that uses a pattern at import
src = open(v.__file__).read() + "\\n_USED_AT_IMPORT = Email.DOMAIN_REGEX.match('example.com') and re.sub(Email.USER_REGEX, '', 'x')\\n"
for name in [m for m in sys.modules if m.startswith("marshmallow")]:
    del sys.modules[name]
import importlib.abc, importlib.util
class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "marshmallow.validate" and not getattr(self, "done", False):
            self.done = True
            return importlib.util.spec_from_loader(name, self, origin=v.__file__)
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        module.__file__ = v.__file__
        exec(compile(src, v.__file__, "exec"), module.__dict__)
sys.meta_path.insert(0, Finder())
from emulator.core import quickimport
quickimport.import_marshmallow()
from marshmallow import validate
assert isinstance(validate.Email.DOMAIN_REGEX, re.Pattern)
assert validate.Email()("someone@example.com")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
