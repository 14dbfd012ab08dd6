"""check_meta.py KIND FILE [OUT] — validate a package manifest (tests/packaging.mk):
arduino (library.properties, Arduino library specification 1.5 rev. 2.2),
platformio (library.json), zephyr (zephyr/module.yml + its Kconfig, parsed by
kconfiglib; OUT: its defaults with CONFIG_ASYNC=y as CMake set()s), esp-idf
(idf_component.yml). Prints what it checked; exit 1 on
the first problem."""
import json, os, re, sys

def fail(msg):
    print("FAIL: %s: %s" % (sys.argv[2], msg))
    sys.exit(1)

def arduino(path):
    props = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            fail("line %d is not key=value" % n)
        k, v = line.split("=", 1)
        props[k] = v
    for k in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url", "architectures"):
        if not props.get(k):
            fail("required field %s missing or empty" % k)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]*", props["name"]) or len(props["name"]) > 63:
        fail("name %r: letters, digits, spaces, _ . - only, starting with a letter or digit" % props["name"])
    if not re.fullmatch(r"\d+\.\d+\.\d+", props["version"]):
        fail("version %r is not semver" % props["version"])
    cats = ["Display", "Communication", "Signal Input/Output", "Sensors", "Device Control", "Timing",
            "Data Storage", "Data Processing", "Other"]
    if props["category"] not in cats:
        fail("category %r is not one of %s" % (props["category"], cats))
    src = os.path.join(os.path.dirname(path), "src")
    for h in props.get("includes", "").split(","):
        if h and not os.path.isfile(os.path.join(src, h.strip())):
            fail("includes names %s, which is not in src/" % h)
    print("ok: library.properties: %s %s, every required field, category %s" % (props["name"], props["version"], props["category"]))

def platformio(path):
    d = json.load(open(path, encoding="utf-8"))
    for k in ("name", "version", "description", "keywords", "frameworks", "platforms"):
        if k not in d:
            fail("field %s missing" % k)
    if not re.fullmatch(r"\d+\.\d+\.\d+", d["version"]):
        fail("version %r is not semver" % d["version"])
    root = os.path.dirname(os.path.abspath(path))
    b = d.get("build", {})
    inc = os.path.join(root, b.get("includeDir", "include"))
    for h in d.get("headers", []):
        if not os.path.isfile(os.path.join(inc, h)):
            fail("header %s is not in includeDir" % h)
    srcdir = os.path.join(root, b.get("srcDir", "src"))
    compiled = [f for f in os.listdir(srcdir) if f.endswith((".c", ".cpp", ".S"))]
    if compiled:
        fail("srcDir %s has sources PlatformIO would compile: %s" % (srcdir, compiled))
    print("ok: library.json: %s %s, headers under %s, nothing to compile" % (d["name"], d["version"], b.get("includeDir")))

def zephyr(path):
    import yaml, kconfiglib
    m = yaml.safe_load(open(path, encoding="utf-8"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    if not isinstance(m, dict) or "build" not in m or not m.get("name"):
        fail("needs name and build")
    b = m["build"]
    if set(b) - {"cmake", "kconfig", "cmake-ext", "kconfig-ext", "depends", "settings", "sysbuild-cmake", "sysbuild-kconfig"}:
        fail("unknown build keys %s" % sorted(b))
    if not os.path.isfile(os.path.join(root, b["cmake"], "CMakeLists.txt")):
        fail("build.cmake %s has no CMakeLists.txt" % b["cmake"])
    kc = os.path.join(root, b["kconfig"])
    kconf = kconfiglib.Kconfig(kc, warn_to_stderr=False)
    if kconf.warnings:
        fail("Kconfig warnings: %s" % kconf.warnings)
    want = {"ASYNC": "bool", "ASYNC_TASK_INFO": "bool", "ASYNC_FLOAT": "bool", "ASYNC_TICKS_PER_SEC": "int"}
    for s, t in want.items():
        sym = kconf.syms.get(s)
        if sym is None or kconfiglib.TYPE_TO_STR[sym.type] != t:
            fail("Kconfig lacks %s %s" % (t, s))
    kconf.syms["ASYNC"].set_value(2)
    vals = {s: kconf.syms[s].str_value for s in want}
    if len(sys.argv) > 3:  # the defaults as Zephyr's build hands them to CMake
        with open(sys.argv[3], "w") as f:
            for s, v in vals.items():
                if v != "n":
                    f.write('set(CONFIG_%s "%s")\n' % (s, v))
    print("ok: zephyr/module.yml (name %s) and %s: %s" % (m["name"], b["kconfig"], vals))

def esp_idf(path):
    import yaml
    m = yaml.safe_load(open(path, encoding="utf-8"))
    for k in ("version", "description", "url", "dependencies"):
        if k not in m:
            fail("field %s missing" % k)
    if "idf" not in m["dependencies"]:
        fail("dependencies.idf missing")
    root = os.path.dirname(os.path.abspath(path))
    if "idf_component_register" not in open(os.path.join(root, "CMakeLists.txt")).read():
        fail("CMakeLists.txt next to it does not register a component")
    print("ok: idf_component.yml: version %s, idf %s" % (m["version"], m["dependencies"]["idf"]))

{"arduino": arduino, "platformio": platformio, "zephyr": zephyr, "esp-idf": esp_idf}[sys.argv[1]](sys.argv[2])
