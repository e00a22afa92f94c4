"""Airbrake notices as notifiers send them (shapes from docs/protocols.md §9 and pybrake 1.10.1)."""


def pybrake_notice(**context) -> dict:
    """A chained exception as pybrake sends it: outermost error first, newest frame first."""
    return {
        "errors": [
            {
                "type": "RuntimeError",
                "message": "wrapped",
                "backtrace": [
                    {"file": "/PROJECT_ROOT/app.py", "function": "<module>", "line": 9,
                     "code": {"8": "except ValueError as e:", "9": '    raise RuntimeError("wrapped") from e'}},
                ],
            },
            {
                "type": "ValueError",
                "message": "boom 42",
                "backtrace": [
                    {"file": "/PROJECT_ROOT/app.py", "function": "inner", "line": 4,
                     "code": {"3": "def inner(x):", "4": '    raise ValueError(f"boom {x}")', "5": ""}},
                    {"file": "/PROJECT_ROOT/app.py", "function": "outer", "line": 7,
                     "code": {"7": "    inner(42)"}},
                    {"file": "/SITE_PACKAGES/lib/run.py", "function": "call", "line": 100},
                ],
            },
        ],
        "context": {
            "notifier": {"name": "pybrake", "version": "1.10.1", "url": "https://github.com/airbrake/pybrake"},
            "environment": "staging",
            "hostname": "vm",
            "language": "Python/3.11.7",
            "os": "Linux-6.1",
            "rootDirectory": "/srv/app",
            "versions": {"python": "3.11.7"},
            "user": {"id": 7, "email": "a@example.com"},
            **context,
        },
        "params": {"sys_executable": "/usr/bin/python3", "sys_path": ["/srv/app"]},
    }  # fmt: skip


HOPTOAD_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<notice version="2.4">
  <api-key>{key}</api-key>
  <notifier><name>hoptoad_notifier</name><version>2.4.11</version><url>http://hoptoadapp.com</url></notifier>
  <error>
    <class>RuntimeError</class>
    <message>RuntimeError: boom</message>
    <backtrace>
      <line number="425" file="[PROJECT_ROOT]/app/models/user.rb" method="save"/>
      <line number="12" file="[PROJECT_ROOT]/app/controllers/users_controller.rb" method="create"/>
      <line number="3" file="[GEM_ROOT]/gems/actionpack-3.0/lib/base.rb" method="process"/>
    </backtrace>
  </error>
  <request>
    <url>http://example.com/users</url>
    <component>users</component>
    <action>create</action>
    <params><var key="id">1</var><var key="user"><var key="name">bob</var></var></params>
    <session><var key="token">abc</var></session>
    <cgi-data><var key="SERVER_NAME">example.com</var></cgi-data>
  </request>
  <server-environment>
    <project-root>/srv/app</project-root>
    <environment-name>production</environment-name>
    <app-version>1.2.3</app-version>
    <hostname>web1</hostname>
  </server-environment>
  <current-user><id>5</id><email>u@example.com</email></current-user>
</notice>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<notice><api-key>{key}</api-key><error><class>X</class><message>&lol9;</message></error></notice>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE notice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<notice><api-key>{key}</api-key><error><class>X</class><message>&xxe;</message></error></notice>
"""
