using System.Runtime.InteropServices;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Gives back the pages of the executable and its libraries that start-up read but the
/// daemon does not use. The kernel maps the program's code and read-only data in around
/// every page touched (fault-around, read-ahead), and the runtime's start-up reads its
/// whole read-only data once; so an idle daemon would keep almost all of its file
/// resident, whatever of it it runs. Dropping the clean (never written) read-only
/// mappings after start-up lets them come back page by page, as used: code that never
/// runs (the etcd client in CARP mode, the CARP reader in etcd mode, option parsing)
/// stays on disk. Pages that were written (relocated data) are never touched. The cost is
/// a page fault, from the disk, the first time each page is used again. Since Linux 6.16
/// a fault in code reads ahead whatever MADV_RANDOM says, so the executable's code comes
/// back in larger pieces than the pages used (docs/benchmarks.md, "Where a lone group's
/// memory goes").
///
/// The libraries (libc, libm, the loader) are dropped the same way, but only from this
/// process's page tables: their files stay in the page cache, shared with every other
/// process, so a page used again comes back from memory. Start-up runs much of them once
/// (the loader's relocation, libm's and libc's IFUNC resolvers, the runtime's set-up),
/// and fault-around maps each such page with its 64 KiB neighbourhood; the loop then uses
/// a few functions of libc only.
///
/// The work is done so that little runs after the drop: /proc/self/smaps is read into
/// memory taken from and given back to the C heap (not the GC's, whose pages would stay
/// resident), every range is found first, and only then are they dropped in one tight
/// loop. Code that ran after a mapping was dropped would fault its own pages, and their
/// neighbours, straight back in.
/// </summary>
internal static class ImagePages
{
    const int MADV_RANDOM = 1;
    const int MADV_DONTNEED = 4;
    const int POSIX_FADV_DONTNEED = 4;
    const int MaxRanges = 32;   // the executable's four or five, and two or three per library
    const nuint MaxSmaps = 4 << 20;

    public static unsafe void DropUnused()
    {
        string? self = Environment.ProcessPath;
        if (self is null)
        {
            return;
        }
        byte[] path = CStrings.Z(self);
        Span<ulong> starts = stackalloc ulong[MaxRanges];
        Span<ulong> ends = stackalloc ulong[MaxRanges];
        int count;
        byte* smaps = (byte*)NativeMemory.Alloc(MaxSmaps);
        try
        {
            nuint length = ReadSmaps(smaps, MaxSmaps);
            count = FindClean(new ReadOnlySpan<byte>(smaps, (int)length), starts, ends);
        }
        finally
        {
            NativeMemory.Free(smaps);
        }
        for (int i = 0; i < count; i++)
        {
            // No read-ahead from now on: a page comes back when used, not its neighbours.
            Libc.MAdvise((void*)starts[i], (nuint)(ends[i] - starts[i]), MADV_RANDOM);
            Libc.MAdvise((void*)starts[i], (nuint)(ends[i] - starts[i]), MADV_DONTNEED);
        }
        // And the executable out of the page cache, what no process maps any more (other
        // daemons' pages stay; the libraries' cache is everyone's and is left alone): else
        // the kernel's fault-around would map cached neighbours of every page used, and
        // most of the file would come back.
        fixed (byte* p = path)
        {
            int fd = Libc.Open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (fd >= 0)
            {
                Libc.PosixFadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
                Libc.Close(fd);
            }
        }
    }

    static unsafe nuint ReadSmaps(byte* buffer, nuint size)
    {
        ReadOnlySpan<byte> name = "/proc/self/smaps\0"u8;
        int fd;
        fixed (byte* p = name)
        {
            fd = Libc.Open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            return 0;
        }
        nuint total = 0;
        while (total < size)
        {
            nint n = Libc.Read(fd, buffer + total, size - total);
            if (n <= 0)
            {
                break;
            }
            total += (nuint)n;
        }
        Libc.Close(fd);
        // A file larger than the buffer would end mid-mapping: then drop nothing.
        return total == size ? 0 : total;
    }

    /// <summary>
    /// The read-only mappings of files (r-xp, r--p; a path, not [vdso] or anonymous memory)
    /// that were never written: "Private_Dirty:", "Anonymous:" and "Swap:" all 0 kB (a
    /// relocated page may be in memory, dirty, or swapped out; dropping it would bring the
    /// file's unrelocated bytes back). Their ranges, at most as many as
    /// <paramref name="starts"/> holds.
    /// </summary>
    internal static int FindClean(ReadOnlySpan<byte> smaps, Span<ulong> starts, Span<ulong> ends)
    {
        int count = 0;
        bool candidate = false;
        int clean = 0;          // how many of the three lines said 0 kB
        ulong start = 0, end = 0;
        while (true)
        {
            bool last = smaps.Length == 0;
            int newline = smaps.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? smaps : smaps[..newline];
            smaps = newline < 0 ? default : smaps[(newline + 1)..];
            int colon = line.IndexOf((byte)':');
            int space = line.IndexOf((byte)' ');
            bool header = space > 0 && (colon < 0 || colon > space);
            if (header || last)
            {
                if (candidate && clean == 3 && count < starts.Length && count < ends.Length)
                {
                    starts[count] = start;
                    ends[count] = end;
                    count++;
                }
                if (last)
                {
                    return count;
                }
                // "start-end perms offset dev inode   path": a file's path starts with '/'.
                int path = line.IndexOf(" /"u8);
                candidate = path > 0 && (line.IndexOf(" r-xp "u8) == space || line.IndexOf(" r--p "u8) == space)
                            && TryRange(line[..space], out start, out end);
                clean = 0;
            }
            else if (candidate && (line.StartsWith("Private_Dirty:"u8) || line.StartsWith("Anonymous:"u8) || line.StartsWith("Swap:"u8)))
            {
                if (line[(colon + 1)..].Trim((byte)' ').StartsWith("0 "u8))
                {
                    clean++;
                }
                else
                {
                    candidate = false;
                }
            }
        }
    }

    static bool TryRange(ReadOnlySpan<byte> text, out ulong start, out ulong end)
    {
        start = end = 0;
        int dash = text.IndexOf((byte)'-');
        return dash > 0 && TryHex(text[..dash], out start) && TryHex(text[(dash + 1)..], out end) && end > start;
    }

    static bool TryHex(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.Length is 0 or > 16)
        {
            return false;
        }
        foreach (byte b in text)
        {
            int digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : b is >= (byte)'a' and <= (byte)'f' ? b - 'a' + 10 : -1;
            if (digit < 0)
            {
                return false;
            }
            value = value << 4 | (uint)digit;
        }
        return true;
    }
}
