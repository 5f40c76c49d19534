using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// The first-stage checks of unicast (--peer) adverts: from a listed peer, to our own
/// address, any TTL; everything else as in multicast mode. Frames are real ucarp 1.5.2
/// adverts readdressed with <see cref="UnicastAdvert"/>, as a unicast peer sends them.
/// </summary>
public class UnicastReaderTests
{
    static readonly Sender Peer = CapturedVectors.Senders[0];
    static readonly IpAddress Us = new(198, 51, 100, 2);
    static readonly IpAddress Stranger = new(192, 0, 2, 77);

    static AdvertReader Reader(params IpAddress[] peers) => new(Us, Peer.Group, Peer.Vhid, Peer.Hmac(), peers);

    /// <summary>A captured advert as a unicast peer would send it to <paramref name="to"/>, with the given TTL on arrival.</summary>
    static byte[] UnicastTo(IpAddress to, byte ttl = 255, byte[]? original = null)
    {
        byte[] frame = original ?? CapturedVectors.Adverts(Peer).First();
        var packet = new byte[UnicastAdvert.Size];
        UnicastAdvert.Readdress(frame, to, packet);
        byte[] result = [.. frame[..CarpHeader.EthernetSize], .. packet];
        if (ttl != 255)
        {
            // A router on the way: TTL down, header checksum redone, as a router does.
            result[22] = ttl;
            UnicastAdvert.Readdress(result, to, packet);
            result = [.. result[..CarpHeader.EthernetSize], .. packet];
        }
        return result;
    }

    [Test]
    public void Readdressing_keeps_the_carp_part_and_gives_a_valid_ip_checksum()
    {
        byte[] original = CapturedVectors.Adverts(Peer).First();
        byte[] unicast = UnicastTo(Us);
        Assert.That(unicast[30..34], Is.EqualTo(new byte[] { 198, 51, 100, 2 }));
        Assert.That(unicast[34..], Is.EqualTo(original[34..]), "CARP header, counter and HMAC unchanged");
        Assert.That(unicast[22], Is.EqualTo(255), "TTL 255");
        Assert.That(InternetChecksum.Compute(unicast.AsSpan(14, 20)), Is.Zero);
    }

    [Test]
    public void An_advert_from_a_peer_to_us_is_valid_even_after_routers()
    {
        Assert.That(Reader(Peer.Source).Read(UnicastTo(Us)).Rejection, Is.EqualTo(Rejection.None));
        Assert.That(Reader(Peer.Source).Read(UnicastTo(Us, ttl: 253)).Rejection, Is.EqualTo(Rejection.None));
    }

    [Test]
    public void Multicast_mode_still_checks_the_ttl()
    {
        byte[] routed = CapturedVectors.Adverts(Peer).First();
        routed[22] = 254;
        var multicast = new AdvertReader(Us, Peer.Group, Peer.Vhid, Peer.Hmac());
        Assert.That(multicast.Read(UnicastTo(Peer.Group, ttl: 254, routed)).Rejection, Is.EqualTo(Rejection.BadTtl));
    }

    [Test]
    public void From_an_address_that_is_not_a_peer_it_is_ignored()
    {
        ReadResult r = Reader(Stranger).Read(UnicastTo(Us));
        Assert.That(r.Rejection, Is.EqualTo(Rejection.NotFromPeer));
        Assert.That(RejectionLog.Message(r), Is.EqualTo($"Ignoring advert from [{Peer.Source}]: not a --peer"));
        Assert.That(RejectionLog.Level(r.Rejection), Is.EqualTo(Logging.LogLevel.Debug));
    }

    [Test]
    public void To_another_address_or_to_the_group_it_is_ignored()
    {
        ReadResult other = Reader(Peer.Source).Read(UnicastTo(Stranger));
        Assert.That(other.Rejection, Is.EqualTo(Rejection.NotToUs));
        Assert.That(RejectionLog.Message(other), Is.EqualTo("Ignoring advert to [192.0.2.77]: not our address"));
        Assert.That(Reader(Peer.Source).Read(CapturedVectors.Adverts(Peer).First()).Rejection, Is.EqualTo(Rejection.NotToUs),
                    "a multicast advert from a peer does not count in unicast mode");
    }

    [Test]
    public void Other_checks_still_apply()
    {
        byte[] wrongVhid = UnicastTo(Us);
        wrongVhid[35]++;
        Assert.That(Reader(Peer.Source).Read(wrongVhid).Rejection, Is.EqualTo(Rejection.OtherVhid));
        var wrongPassword = new AdvertReader(Us, Peer.Group, Peer.Vhid, new CarpHmac("nope"u8.ToArray(), Peer.Vhid, Peer.Vip), [Peer.Source]);
        Assert.That(wrongPassword.Read(UnicastTo(Us)).Rejection, Is.EqualTo(Rejection.BadDigest));
        byte[] badSum = UnicastTo(Us);
        badSum[25] ^= 1;
        Assert.That(Reader(Peer.Source).Read(badSum).Rejection, Is.EqualTo(Rejection.BadChecksum));
    }
}
