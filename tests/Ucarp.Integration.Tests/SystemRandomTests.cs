using Ucarp.Linux;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The kernel's randomness by way of the thread's pool (SystemCarpRandom): a draw of n bytes
/// gives n bytes and no more, and a pool that runs out is filled again, not reused.
/// In process, no namespace.
/// </summary>
public class SystemRandomTests
{
    [Test]
    public void An_ip_id_is_two_fresh_bytes_across_many_pool_refills()
    {
        var random = new SystemCarpRandom();
        var seen = new HashSet<ushort>();
        // 20,000 ids are 40 KiB of draws, forty pools: a pool handed out twice would repeat
        // its run of ids; 20,000 uniform 16-bit values have about 5,200 collisions.
        for (int i = 0; i < 20_000; i++)
        {
            seen.Add(random.NextIpId());
        }
        Assert.That(seen, Has.Count.GreaterThan(13_000));
    }

    [Test]
    public void A_draw_of_n_bytes_sets_only_the_low_n()
    {
        ulong any = 0;
        for (int i = 0; i < 2_000; i++)
        {
            ulong two = SystemCarpRandom.Draw(2);
            Assert.That(two, Is.LessThan(0x1_0000UL));
            any |= SystemCarpRandom.Draw(3);
        }
        Assert.That(any, Is.EqualTo(0xFF_FFFFUL), "in 2,000 draws every one of the three bytes' bits was set at least once");
        Assert.That(() => SystemCarpRandom.Draw(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => SystemCarpRandom.Draw(9), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Counters_are_eight_bytes()
    {
        ulong high = 0;
        for (int i = 0; i < 64; i++)
        {
            high |= new SystemCarpRandom().NextCounter() >> 56;
        }
        Assert.That(high, Is.Not.Zero, "64 counters all below 2^56 would mean the top byte is never drawn");
    }
}
