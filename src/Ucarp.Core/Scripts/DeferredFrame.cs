namespace Ucarp.Core.Scripts;

/// <summary>
/// A frame (the bow-out advert) sent once the scripts queued before it have finished,
/// so the address is released before a backup claims it, but never later than a
/// deadline, so a hanging downscript cannot hold up the handover. Pure: the caller
/// says whether the scripts are done and what time it is.
/// </summary>
public sealed class DeferredFrame
{
    byte[]? _frame;

    public bool Pending => _frame is not null;

    /// <summary>When the frame goes out at the latest; null when none waits.</summary>
    public long? Deadline { get; private set; }

    public void Hold(ReadOnlySpan<byte> frame, long deadline)
    {
        _frame = frame.ToArray();
        Deadline = deadline;
    }

    /// <summary>Drops the waiting frame (the node became master again before it went out).</summary>
    public void Cancel()
    {
        _frame = null;
        Deadline = null;
    }

    /// <summary>The frame, once the scripts before it are done or its deadline has come; else null.</summary>
    public byte[]? TakeIfDue(bool scriptsDone, long now)
    {
        if (_frame is null || (!scriptsDone && now < Deadline))
        {
            return null;
        }
        byte[] frame = _frame;
        Cancel();
        return frame;
    }
}
