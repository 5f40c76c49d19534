using Ucarp.Core;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// posix_spawn with argv and envp given as byte strings, all signals at their defaults
/// and none blocked (the runtime ignores SIGPIPE, which a shell script must not inherit).
/// </summary>
internal static class NativeSpawn
{
    /// <param name="NewProcessGroup">The child leads a process group of its own, so all it starts can be killed at once.</param>
    /// <param name="StdinFrom">With <paramref name="StdioToDevNull"/>: this descriptor becomes the child's stdin instead.</param>
    public sealed record Options(bool NewSession = false, bool StdioToDevNull = false, string? WorkingDirectory = null,
                                 bool NewProcessGroup = false, int StdinFrom = -1);

    /// <summary>
    /// Starts the child; false with posix_spawn's errno: no process could be made (EAGAIN,
    /// ENOMEM), or one was and its exec failed (glibc reports that too).
    /// </summary>
    public static unsafe bool TrySpawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, Options options, out int pid,
                                       out SysError error)
    {
        byte[][] args = Lists.ConvertAll(argv, CStrings.Z);
        byte[][] env = Lists.ConvertAll(envp, CStrings.Z);
        byte[] cpath = CStrings.Z(path);
        var pins = new List<System.Runtime.InteropServices.GCHandle>();
        byte* attr = stackalloc byte[Libc.SpawnAttrSize];
        byte* actions = stackalloc byte[Libc.SpawnFileActionsSize];
        byte* all = stackalloc byte[Libc.SigSetSize];
        byte* none = stackalloc byte[Libc.SigSetSize];
        try
        {
            byte** argvp = stackalloc byte*[args.Length + 1];
            byte** envpp = stackalloc byte*[env.Length + 1];
            for (int i = 0; i < args.Length; i++)
            {
                argvp[i] = Pin(args[i], pins);
            }
            argvp[args.Length] = null;
            for (int i = 0; i < env.Length; i++)
            {
                envpp[i] = Pin(env[i], pins);
            }
            envpp[env.Length] = null;

            Libc.SpawnAttrInit(attr);
            Libc.FileActionsInit(actions);
            Libc.SigFillSet(all);
            Libc.SigEmptySet(none);
            short flags = Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK;
            if (options.NewSession)
            {
                flags |= Libc.POSIX_SPAWN_SETSID;
            }
            if (options.NewProcessGroup)
            {
                flags |= Libc.POSIX_SPAWN_SETPGROUP;
                Libc.SpawnAttrSetPGroup(attr, 0); // 0: a new group whose id is the child's pid
            }
            Libc.SpawnAttrSetFlags(attr, flags);
            Libc.SpawnAttrSetSigDefault(attr, all);
            Libc.SpawnAttrSetSigMask(attr, none);
            if (options.StdioToDevNull)
            {
                fixed (byte* devnull = "/dev/null\0"u8)
                {
                    if (options.StdinFrom >= 0)
                    {
                        Libc.FileActionsAddDup2(actions, options.StdinFrom, 0);
                    }
                    else
                    {
                        Libc.FileActionsAddOpen(actions, 0, devnull, Libc.O_RDONLY, 0);
                    }
                    Libc.FileActionsAddOpen(actions, 1, devnull, Libc.O_WRONLY, 0);
                    Libc.FileActionsAddOpen(actions, 2, devnull, Libc.O_WRONLY, 0);
                }
            }
            if (options.WorkingDirectory is not null)
            {
                Libc.FileActionsAddChdir(actions, Pin(CStrings.Z(options.WorkingDirectory), pins));
            }
            int child;
            int rc;
            fixed (byte* p = cpath)
            {
                rc = Libc.PosixSpawn(&child, p, actions, attr, argvp, envpp);
            }
            Libc.FileActionsDestroy(actions);
            Libc.SpawnAttrDestroy(attr);
            // posix_spawn returns the errno rather than setting it.
            pid = rc == 0 ? child : 0;
            error = new SysError(rc);
            return rc == 0;
        }
        finally
        {
            foreach (var pin in pins)
            {
                pin.Free();
            }
        }
    }

    static unsafe byte* Pin(byte[] bytes, List<System.Runtime.InteropServices.GCHandle> pins)
    {
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
        pins.Add(handle);
        return (byte*)handle.AddrOfPinnedObject();
    }
}
