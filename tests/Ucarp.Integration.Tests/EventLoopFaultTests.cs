using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Loop;

namespace Ucarp.Integration.Tests;

/// <summary>
/// An exception out of a loop source (a bug, an eventfd or thread that could not be had):
/// logged, every group stopped with its address released (the daemon's Faulted), the loop
/// running on until they are done, then status 1; never an unhandled exception. In process.
/// </summary>
public class EventLoopFaultTests
{
    sealed class Lines : ILog
    {
        public readonly List<string> Written = [];
        public bool DebugEnabled => false;
        public void Write(LogLevel level, string message) => Written.Add($"{level}: {message}");
    }

    /// <summary>Throws on its first dispatch (or on every one); otherwise counts.</summary>
    sealed class Faulty(bool always) : ILoopSource
    {
        public int Dispatches;
        public void AddTo(PollSet set, long now) { }
        public long? NextDeadline(long now) => now;
        public void Dispatch(PollSet set, long now)
        {
            if (Dispatches++ == 0 || always)
            {
                throw new InvalidOperationException("broken on purpose");
            }
        }
    }

    /// <summary>Ends the loop (status 0, as GroupLifecycle does when the groups are done) after a few passes once told to stop.</summary>
    sealed class Finisher(EventLoop loop) : ILoopSource
    {
        public bool Stopping;
        public int PassesWhileStopping;
        public void AddTo(PollSet set, long now) { }
        public long? NextDeadline(long now) => now;
        public void Dispatch(PollSet set, long now)
        {
            if (Stopping && ++PassesWhileStopping == 3)
            {
                loop.Exit(0);
            }
        }
    }

    [Test]
    public void A_fault_stops_the_groups_and_the_loop_ends_with_status_1_once_they_are_done()
    {
        var log = new Lines();
        var loop = new EventLoop(log);
        var faulty = new Faulty(always: false);
        var finisher = new Finisher(loop);
        int stops = 0;
        loop.Faulted = _ => { stops++; finisher.Stopping = true; };
        loop.Add(faulty);
        loop.Add(finisher);

        Assert.That(loop.Run(), Is.EqualTo(1));
        Assert.That(stops, Is.EqualTo(1));
        Assert.That(finisher.PassesWhileStopping, Is.EqualTo(3), "the sources after the faulty one ran on, every pass");
        Assert.That(faulty.Dispatches, Is.EqualTo(3), "and so did the faulty one");
        Assert.That(log.Written, Is.EqualTo(new[] { "Error: " + Messages.LoopFault("Faulty", "broken on purpose") }));
    }

    [Test]
    public void A_second_fault_while_stopping_ends_the_loop_at_once_with_status_70()
    {
        var log = new Lines();
        var loop = new EventLoop(log);
        var faulty = new Faulty(always: true);
        var finisher = new Finisher(loop);
        loop.Faulted = _ => finisher.Stopping = true;
        loop.Add(faulty);
        loop.Add(finisher);

        Assert.That(loop.Run(), Is.EqualTo(70));
        Assert.That(faulty.Dispatches, Is.EqualTo(2));
        Assert.That(log.Written, Is.EqualTo(new[]
        {
            "Error: " + Messages.LoopFault("Faulty", "broken on purpose"),
            "Error: " + Messages.LoopFaultAgain("Faulty", "broken on purpose"),
        }));
    }
}
