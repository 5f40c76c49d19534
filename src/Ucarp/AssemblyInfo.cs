// The daemon is Linux-only: AF_PACKET, ioctl, ppoll, pidfd_open, posix_spawn.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
