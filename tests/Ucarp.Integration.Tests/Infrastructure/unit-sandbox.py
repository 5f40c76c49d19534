#!/usr/bin/python3
"""Runs a command under the sandbox a systemd unit file describes, without systemd.

    unit-sandbox.py UNIT-FILE COMMAND [ARG...]

As root, usually inside `ip netns exec NS`. Read from the unit's [Service] section and
applied as systemd would, in a mount namespace of the process's own (nothing on the
host changes):
  ProtectSystem=strict     every mount read-only but /proc, /sys and /dev
  RuntimeDirectory=X       /run/X, StateDirectory=X /var/lib/X: writable (a fresh
                           tmpfs each, so nothing is written on the host)
  ProtectHome=yes          /home, /root, /run/user empty and inaccessible
  PrivateTmp=yes           /tmp and /var/tmp fresh
  ProtectKernelTunables    /proc/sys and /sys read-only
  CapabilityBoundingSet=   every other capability dropped from the bounding set
  NoNewPrivileges=yes      prctl(PR_SET_NO_NEW_PRIVS)
  SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=native,
  RestrictAddressFamilies=, MemoryDenyWriteExecute=yes
                           one seccomp filter, from systemd-analyze's syscall groups
                           (a refused socket family gets EPERM where systemd's
                           filter returns EAFNOSUPPORT)
Other settings (PrivateDevices, ProtectClock, RestrictNamespaces, ...) are not
emulated: they are listed on stderr. Then COMMAND is executed.
"""
import ctypes
import ctypes.util
import errno
import os
import subprocess
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
CLONE_NEWNS = 0x00020000
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
PROT_WRITE, PROT_EXEC, SHM_EXEC = 2, 4, 0o100000
FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16, "AF_PACKET": 17}
CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]
EMULATED = {"CapabilityBoundingSet", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
            "ProtectKernelTunables", "RestrictAddressFamilies", "MemoryDenyWriteExecute",
            "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
            "RuntimeDirectory", "StateDirectory"}
SANDBOXING = {"PrivateDevices", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
              "ProtectClock", "ProtectHostname", "RestrictNamespaces", "RestrictSUIDSGID",
              "LockPersonality", "PrivateMounts", "RestrictRealtime", "ProtectProc", "ProcSubset"}


def check(result, what):
    if result != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def service_settings(path):
    settings, section = [], None
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.append((key.strip(), value.strip()))
    return settings


def mount(source, target, fstype, flags, data=None):
    check(libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                     data and data.encode()), f"mount {target}")


def mount_points():
    points = []
    for line in open("/proc/self/mountinfo", encoding="utf-8"):
        fields = line.split()
        point = fields[4].encode().decode("unicode_escape")
        options = fields[5].split(",")
        flags = (MS_NOSUID if "nosuid" in options else 0) | (MS_NODEV if "nodev" in options else 0) \
            | (MS_NOEXEC if "noexec" in options else 0)
        points.append((point, flags))
    return points


def under(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def read_only(point, flags):
    try:
        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.EACCES, errno.EINVAL):
            raise


def file_system(settings):
    values = dict(settings)
    check(libc.unshare(CLONE_NEWNS), "unshare")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    if values.get("ProtectSystem") == "strict":
        for point, flags in mount_points():
            if not any(under(point, api) for api in ("/proc", "/sys", "/dev")):
                read_only(point, flags)
    if values.get("ProtectKernelTunables") == "yes":
        for top in ("/proc/sys", "/sys"):
            mount(top, top, None, MS_BIND | MS_REC)
            for point, flags in mount_points():
                if under(point, top):
                    read_only(point, flags)
    if values.get("ProtectHome") == "yes":
        for home in ("/home", "/root", "/run/user"):
            if os.path.isdir(home):
                mount("tmpfs", home, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000")
    if values.get("PrivateTmp") == "yes":
        for tmp in ("/tmp", "/var/tmp"):
            mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for key, top in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
        for name in values.get(key, "").split():
            # The directories were made before (by the test), as systemd makes them.
            mount("tmpfs", os.path.join(top, name), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")


def capabilities(settings):
    keep = set()
    for key, value in settings:
        if key == "CapabilityBoundingSet":
            keep = set() if value == "" else keep | set(value.split())
    if not any(key == "CapabilityBoundingSet" for key, _ in settings):
        return
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for number in range(last + 1):
        name = CAPS[number] if number < len(CAPS) else f"cap_{number}"
        if name not in keep:
            check(libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0), f"drop {name}")


def expand(group, seen=None):
    seen = set() if seen is None else seen
    if not group.startswith("@"):
        return {group}
    if group in seen:
        return set()
    seen.add(group)
    names = set()
    output = subprocess.run(["systemd-analyze", "syscall-filter", group], check=True, capture_output=True, text=True).stdout
    for line in output.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            names |= expand(line, seen)
    return names


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def system_calls(settings):
    values = dict(settings)
    filters = [v for k, v in settings if k == "SystemCallFilter"]
    families = values.get("RestrictAddressFamilies")
    mdwe = values.get("MemoryDenyWriteExecute") == "yes"
    if not filters and not families and not mdwe:
        return
    allowed = None
    for f in filters:
        if f == "":
            allowed = None
        elif f.startswith("~"):
            denied = set().union(*(expand(g) for g in f[1:].split()))
            allowed = None if allowed is None else allowed - denied
        else:
            allowed = (allowed or set()) | set().union(*(expand(g) for g in f.split()))
    if allowed is None:
        raise SystemExit("unit-sandbox: only an allow list (SystemCallFilter=@group...) is emulated")
    error = getattr(errno, values.get("SystemCallErrorNumber", "EPERM"))
    seccomp = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
    allow = 0x7fff0000
    ctx = seccomp.seccomp_init(0x00050000 | error)  # SCMP_ACT_ERRNO(error)

    def rule(name, *conditions):
        number = seccomp.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            return
        array = (ArgCmp * len(conditions))(*[ArgCmp(arg, op, a, b) for arg, op, a, b in conditions]) if conditions else None
        result = seccomp.seccomp_rule_add_array(ctx, allow, number, len(conditions), array)
        if result != 0:
            raise OSError(-result, f"seccomp rule for {name}")

    masked_eq, eq = 7, 4
    special = {"socket", "mmap", "mmap2", "mprotect", "pkey_mprotect", "shmat"}
    for name in sorted(allowed - special):
        rule(name)
    if "socket" in allowed:
        if families:
            for family in families.split():
                rule("socket", (0, eq, FAMILIES[family], 0))
        else:
            rule("socket")
    for name in ("mmap", "mmap2"):
        if name in allowed:
            for prot in ((0, PROT_WRITE, PROT_EXEC) if mdwe else (None,)):
                rule(name, *(((2, masked_eq, PROT_WRITE | PROT_EXEC, prot),) if prot is not None else ()))
    for name in ("mprotect", "pkey_mprotect"):
        if name in allowed:
            rule(name, *(((2, masked_eq, PROT_EXEC, 0),) if mdwe else ()))
    if "shmat" in allowed:
        rule("shmat", *(((2, masked_eq, SHM_EXEC, 0),) if mdwe else ()))
    result = seccomp.seccomp_load(ctx)
    if result != 0:
        raise OSError(-result, "seccomp_load")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    settings = service_settings(sys.argv[1])
    skipped = sorted({k for k, _ in settings if k in SANDBOXING})
    if skipped:
        print("unit-sandbox: not emulated: " + " ".join(skipped), file=sys.stderr)
    file_system(settings)
    capabilities(settings)
    if dict(settings).get("NoNewPrivileges") == "yes" or any(k == "SystemCallFilter" for k, _ in settings):
        check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    # systemd-analyze runs here, before the filter is loaded.
    system_calls(settings)
    os.execvp(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
