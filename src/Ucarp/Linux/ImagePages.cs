using System.Globalization;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// Gives back the pages of the executable that start-up read but the daemon does not
/// use. The kernel maps the program's code and read-only data in around every page
/// touched (fault-around, read-ahead), and the runtime's start-up reads its whole
/// read-only data once; so an idle daemon would keep almost all of its 2 MB file
/// resident, whatever of it it runs. Dropping the clean (never written) read-only
/// mappings after start-up lets them come back page by page, as used: code that never
/// runs (the etcd client in CARP mode, the CARP reader in etcd mode, option parsing)
/// stays on disk. Pages that were written (relocated data) are never touched. The cost
/// is a page fault, from the disk, the first time each page is used again.
/// </summary>
internal static class ImagePages
{
    const int MADV_RANDOM = 1;
    const int MADV_DONTNEED = 4;
    const int POSIX_FADV_DONTNEED = 4;

    static (ulong, ulong) Range(string text)
    {
        int dash = text.IndexOf('-');
        return (ulong.Parse(text.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(text.AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    public static unsafe void DropUnused()
    {
        string? self = Environment.ProcessPath;
        if (self is null)
        {
            return;
        }
        // One mapping at a time: its header, then its "Key: value" lines.
        (ulong Start, ulong End)? candidate = null;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/smaps"))
            {
                string first = line.Split(' ', 2)[0];
                if (!first.EndsWith(':'))
                {
                    string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                    candidate = fields.Length == 6 && fields[5].Trim() == self && fields[1] is "r-xp" or "r--p" ? Range(fields[0]) : null;
                }
                else if (candidate is (ulong start, ulong end) && first == "Anonymous:")
                {
                    // Written to (relocations): the file no longer holds its contents. Else clean: drop.
                    if (line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == "0")
                    {
                        // No read-ahead from now on: a page comes back when used, not its neighbours.
                        Libc.MAdvise((void*)start, (nuint)(end - start), MADV_RANDOM);
                        Libc.MAdvise((void*)start, (nuint)(end - start), MADV_DONTNEED);
                    }
                    candidate = null;
                }
            }
        }
        catch (IOException)
        {
        }
        // And out of the page cache, what no process maps any more (other daemons' pages
        // stay): else the kernel's fault-around would map cached neighbours of every page
        // used, and most of the file would come back.
        byte[] path = CStrings.Z(self);
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
}
