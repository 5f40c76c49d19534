using Ucarp.Core.Logging;
using Ucarp.Daemon;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The bookkeeping of --vmac children made ahead of their groups, in process and without
/// changing the host: once the loop runs, a group never makes its child on the loop's
/// thread; a child that could not be made ahead tells its group why, once; what a
/// preparation left that no group took is forgotten by its sweep and by nobody else's.
/// (The parent asked for does not exist: the only request made is rtnetlink's read of it.)
/// </summary>
public class VirtualMacsTests
{
    sealed class Lines : ILog
    {
        public readonly List<string> Written = [];
        public bool DebugEnabled => false;
        public void Write(LogLevel level, string message) => Written.Add($"{level}: {message}");
    }

    static readonly byte[] Mac = [0x00, 0x00, 0x5e, 0x00, 0x01, 0xfa];
    const string Missing = "ucarpnoif0";

    static VmacWanted Wanted(string name) => new(name, Missing, Mac, null, "g");

    [Test]
    public void Once_the_loop_runs_a_group_does_not_make_its_child_itself()
    {
        var vmacs = new VirtualMacs { Inline = false };
        var log = new Lines();
        Assert.That(vmacs.Acquire(Wanted("vrrp.250"), new InterfaceEntry(Missing, 4242, new byte[6]), log), Is.Null);
        Assert.That(log.Written, Is.EqualTo(new[] { "Error: Virtual MAC interface vrrp.250 is not made yet: tried again shortly" }));
        Assert.That(vmacs.ToMake("vrrp.250"), Is.True);
    }

    [Test]
    public void A_child_that_could_not_be_made_ahead_tells_its_group_why_once()
    {
        using var thread = new Ucarp.Net.AddressChanger();
        var vmacs = new VirtualMacs { Inline = false };
        vmacs.PrepareAndWait([Wanted("vrrp.250")], new object(), thread, TimeSpan.FromSeconds(10));
        Assert.That(vmacs.ToMake("vrrp.250"), Is.False, "its failure waits for its group");
        var log = new Lines();
        Assert.That(vmacs.Acquire(Wanted("vrrp.250"), new InterfaceEntry(Missing, 4242, new byte[6]), log), Is.Null);
        Assert.That(log.Written, Is.EqualTo(new[] { $"Error: Unable to make virtual MAC interface vrrp.250 on {Missing}: No such device" }));
        Assert.That(vmacs.ToMake("vrrp.250"), Is.True, "told once: the next try makes it again");
    }

    [Test]
    public void A_sweep_forgets_what_its_own_preparation_left_and_nothing_else()
    {
        using var thread = new Ucarp.Net.AddressChanger();
        var vmacs = new VirtualMacs { Inline = false };
        object reload = new(), retry = new();
        vmacs.PrepareAndWait([Wanted("vrrp.250")], reload, thread, TimeSpan.FromSeconds(10));
        bool told = false;
        vmacs.Prepare([Wanted("vrrp.251")], retry, thread, () => told = true);
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !told && waited.Elapsed < TimeSpan.FromSeconds(10); Thread.Sleep(10))
        {
            thread.TellDone();   // the loop's part: the callback runs on the caller's thread
        }
        Assert.That(told, Is.True, "the held group's callback ran");
        vmacs.Sweep(reload, new Lines(), thread);
        Assert.That((vmacs.ToMake("vrrp.250"), vmacs.ToMake("vrrp.251")), Is.EqualTo((true, false)));
        vmacs.Sweep(retry, new Lines(), thread);
        Assert.That(vmacs.ToMake("vrrp.251"), Is.True);
    }
}
