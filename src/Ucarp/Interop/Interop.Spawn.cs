using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // spawn.h. posix_spawn rather than fork: the runtime cannot be forked safely, and
    // glibc's posix_spawn reports exec failures (ENOENT, EACCES) to the caller.
    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;
    internal const int SpawnAttrSize = 336;          // sizeof(posix_spawnattr_t), glibc x86_64/arm64
    internal const int SpawnFileActionsSize = 80;    // sizeof(posix_spawn_file_actions_t)
    internal const int SigSetSize = 128;             // sizeof(sigset_t)
    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_RDWR = 2;
    /// <summary>With EAGAIN, what posix_spawn says when no process could be made at all.</summary>
    internal const int ENOMEM = 12;

    [LibraryImport(Name, EntryPoint = "posix_spawn")]
    internal static unsafe partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_init")]
    internal static unsafe partial int SpawnAttrInit(void* attr);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_destroy")]
    internal static unsafe partial int SpawnAttrDestroy(void* attr);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setflags")]
    internal static unsafe partial int SpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setpgroup")]
    internal static unsafe partial int SpawnAttrSetPGroup(void* attr, int pgroup);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static unsafe partial int SpawnAttrSetSigDefault(void* attr, void* sigset);

    [LibraryImport(Name, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static unsafe partial int SpawnAttrSetSigMask(void* attr, void* sigset);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_init")]
    internal static unsafe partial int FileActionsInit(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static unsafe partial int FileActionsDestroy(void* actions);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_addopen")]
    internal static unsafe partial int FileActionsAddOpen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static unsafe partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Name, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    internal static unsafe partial int FileActionsAddChdir(void* actions, byte* path);

    [LibraryImport(Name, EntryPoint = "sigemptyset")]
    internal static unsafe partial int SigEmptySet(void* set);

    [LibraryImport(Name, EntryPoint = "sigfillset")]
    internal static unsafe partial int SigFillSet(void* set);

    // sys/wait.h, sys/pidfd.h, signal.h
    internal const int WNOHANG = 1;
    internal const int SIGKILL = 9;

    /// <summary>kill(2); a negative pid signals the whole process group.</summary>
    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Name, EntryPoint = "waitpid", SetLastError = true)]
    internal static unsafe partial int WaitPid(int pid, int* status, int options);

    /// <summary>A descriptor that polls readable when the child exits (Linux 5.3, glibc 2.36).</summary>
    [LibraryImport(Name, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int PidFdOpen(int pid, uint flags);
}
