using System.Text;
using Ucarp.Linux;

namespace Ucarp.Integration.Tests;

/// <summary>Which mappings the start-up drop gives back: the clean read-only ones of files (the executable, its libraries), never a written one or anonymous memory.</summary>
public class ImagePagesTests
{
    const string Smaps = """
        55a000000000-55a000001000 r--p 00000000 fe:00 42 /usr/sbin/ucarp
        Rss:                   4 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        55a000001000-55a000002000 r-xp 00001000 fe:00 42 /usr/sbin/ucarp
        Size:                  4 kB
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        VmFlags: rd ex mr mw me
        55a000002000-55a000003000 r--p 00002000 fe:00 42 /usr/sbin/ucarp
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  4 kB
        55a000002800-55a000002900 r--p 00002000 fe:00 42 /usr/sbin/ucarp
        Private_Dirty:         4 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        55a000003000-55a000004000 rw-p 00003000 fe:00 42 /usr/sbin/ucarp
        Anonymous:             0 kB
        55a000004000-55a000005000 r-xp 00000000 fe:00 43 /opt/usr/sbin/ucarp
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        55a000005000-55a000006000 r-xp 00000000 fe:00 44 /usr/sbin/ucarpctl
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        7f0000000000-7f0000001000 r-xp 00000000 fe:00 45 /usr/lib/x86_64-linux-gnu/libc.so.6
        Anonymous:             0 kB
        Private_Dirty:         0 kB
        Swap:                  0 kB
        7f0000001000-7f0000002000 r--p 001d0000 fe:00 45 /usr/lib/x86_64-linux-gnu/libc.so.6
        Private_Dirty:        16 kB
        Anonymous:            16 kB
        Swap:                  0 kB
        7f0000002000-7f0000003000 rw-p 00000000 00:00 0
        Private_Dirty:         4 kB
        Anonymous:             4 kB
        Swap:                  0 kB
        7f0000003000-7f0000004000 r--p 00000000 00:00 0
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        7fff00000000-7fff00002000 r-xp 00000000 00:00 0                          [vdso]
        Private_Dirty:         0 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        """;

    [Test]
    public void Only_clean_read_only_mappings_of_files_are_dropped()
    {
        Span<ulong> starts = stackalloc ulong[16];
        Span<ulong> ends = stackalloc ulong[16];
        int count = ImagePages.FindClean(Encoding.ASCII.GetBytes(Smaps), starts, ends);
        Assert.That(count, Is.EqualTo(5));
        Assert.That(starts[..count].ToArray(), Is.EqualTo(new[] { 0x55a000000000UL, 0x55a000001000UL, 0x55a000004000UL, 0x55a000005000UL, 0x7f0000000000UL }),
                    "the executable's header and code, other files' code, libc's code; not a relocated r--p (swapped out or dirty), "
                    + "data, anonymous memory or the vDSO");
        Assert.That(ends[..count].ToArray(), Is.EqualTo(new[] { 0x55a000001000UL, 0x55a000002000UL, 0x55a000005000UL, 0x55a000006000UL, 0x7f0000001000UL }));
    }

    [Test]
    public void A_truncated_or_garbled_file_drops_nothing_it_cannot_read()
    {
        Span<ulong> starts = stackalloc ulong[16];
        Span<ulong> ends = stackalloc ulong[16];
        string text = Smaps;
        for (int cut = 0; cut < text.Length; cut += 7)
        {
            int count = ImagePages.FindClean(Encoding.ASCII.GetBytes(text[..cut]), starts, ends);
            Assert.That(count, Is.LessThanOrEqualTo(5));
        }
        Assert.That(ImagePages.FindClean("zz-yy r-xp 0 0 0 /usr/sbin/ucarp\nPrivate_Dirty: 0 kB\nAnonymous: 0 kB\nSwap: 0 kB\n"u8, starts, ends),
                    Is.EqualTo(0));
        Assert.That(ImagePages.FindClean("1000-2000 r-xp 0 0 0 /usr/sbin/ucarp\nAnonymous: 0 kB\nSwap: 0 kB\n"u8, starts, ends),
                    Is.EqualTo(0), "a line missing is not a clean mapping");
    }
}
