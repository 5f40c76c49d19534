namespace Ucarp.Linux;

/// <summary>The end of the process waits for the writer threads, but only so long: a hung disk or log must not keep it alive.</summary>
internal static class BoundedWait
{
    /// <summary>With <paramref name="gate"/> held: waits until <paramref name="done"/>, at most <paramref name="timeout"/>. The writer pulses the gate.</summary>
    public static bool Until(object gate, Func<bool> done, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!done())
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }
            Monitor.Wait(gate, (int)left);
        }
        return true;
    }
}
