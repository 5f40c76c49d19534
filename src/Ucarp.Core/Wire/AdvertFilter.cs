using System.Buffers.Binary;
using Ucarp.Core.Cli;

namespace Ucarp.Core.Wire;

/// <summary>The vhids a filter lets in, each from anyone or (unicast groups) from its peers only.</summary>
/// <param name="Sources">Empty: from any source.</param>
public readonly record struct FilterVhid(byte Vhid, IReadOnlyList<IpAddress> Sources);

/// <summary>
/// What an interface socket's kernel filter lets through besides ucarp's own rule
/// ("proto 112 and src host not SRCIP"), chosen so that nothing the daemon would log or
/// act on is dropped: only frames that every group would throw away without a word.
/// </summary>
public sealed class FilterRule
{
    /// <summary>Every vhid: ucarp's rule alone (--debug logs every frame; VRRP checks its checksum before the vrid).</summary>
    public static readonly FilterRule AnyVhid = new(null, passLoggedBeforeVhid: false, checksTtl: false);

    FilterRule(IReadOnlyList<FilterVhid>? vhids, bool passLoggedBeforeVhid, bool checksTtl)
    {
        Vhids = vhids;
        PassLoggedBeforeVhid = passLoggedBeforeVhid;
        ChecksTtl = checksTtl;
    }

    /// <summary>Null: any vhid.</summary>
    public IReadOnlyList<FilterVhid>? Vhids { get; }

    /// <summary>
    /// A plain command line's CARP group sees every frame, as ucarp's capture does, and
    /// logs a bogus size, a bad TTL and a bad version before it looks at the vhid: those
    /// frames pass whatever their vhid.
    /// </summary>
    public bool PassLoggedBeforeVhid { get; }

    /// <summary>With <see cref="PassLoggedBeforeVhid"/>: a TTL other than 255 is logged (multicast; --peer does not check it).</summary>
    public bool ChecksTtl { get; }

    /// <summary>
    /// A plain command line's one CARP group (no --debug): of the frames the reader would
    /// pass its first checks with, only its vhid (from its peers, with --peer), since
    /// ucarp ignores the rest without a word ("Ignoring vhid" and "Ignoring advert from"
    /// are debug lines).
    /// </summary>
    public static FilterRule PlainCarp(byte vhid, IReadOnlyList<IpAddress> peers) =>
        new([new FilterVhid(vhid, peers)], passLoggedBeforeVhid: true, checksTtl: peers.Count == 0);

    /// <summary>
    /// A --config daemon's socket: frames of another vhid go to no group (they were only
    /// counted). Its vhids come from any source: a group's reader logs a bad version (and
    /// a VRRP group a bad checksum) before it looks at the source.
    /// </summary>
    public static FilterRule Dispatch(IReadOnlyList<byte> vhids)
    {
        var any = new FilterVhid[vhids.Count];
        for (int i = 0; i < any.Length; i++)
        {
            any[i] = new FilterVhid(vhids[i], []);
        }
        return new(any, passLoggedBeforeVhid: false, checksTtl: false);
    }
}

/// <summary>
/// The classic BPF program of an interface socket (pure, so the tests run it over frames):
/// the family's ethertype, protocol 112, a source none of <c>own</c>, then the rule's vhids.
/// A frame the program reads past the end of is dropped by the kernel, as a short frame is
/// by the reader (its vhid is unknown).
/// </summary>
public static class AdvertFilter
{
    /// <summary>What a passing frame keeps: all of it.</summary>
    public const uint Accept = 0x40000;

    // Sources the program names (as before: past them, PACKET_IGNORE_OUTGOING and the
    // reader's own-address check drop our adverts, enough on any kernel since 4.20).
    public const int MaxOwnSources4 = 200, MaxOwnSources6 = 24;

    const int Eth = CarpHeader.EthernetSize;

    /// <summary>The program; a rule too long for the kernel falls back to any vhid.</summary>
    public static BpfInstruction[] Build(bool v6, IReadOnlyList<IpAddress> own, FilterRule rule)
    {
        int max = v6 ? MaxOwnSources6 : MaxOwnSources4;
        IReadOnlyList<IpAddress> named = own.Count > max ? Lists.Slice(own, 0, max) : own;
        BpfInstruction[] program = Assemble(v6, named, rule);
        return program.Length <= BpfProgram.MaxLength ? program : Assemble(v6, named, FilterRule.AnyVhid);
    }

    /// <summary>A program that takes nothing in (a send-only socket).</summary>
    public static BpfInstruction[] DropAll() => [new BpfInstruction(BpfProgram.RetK, 0, 0, 0)];

    static BpfInstruction[] Assemble(bool v6, IReadOnlyList<IpAddress> own, FilterRule rule)
    {
        var p = new BpfProgram();
        int accept = p.NewLabel(), drop = p.NewLabel();
        p.Emit(BpfProgram.LdH, 12);
        p.IfNotEqual(v6 ? CarpHeader.EtherTypeIpv6 : CarpHeader.EtherTypeIpv4, drop);
        p.Emit(BpfProgram.LdB, (uint)(Eth + (v6 ? 6 : 9)));                 // protocol / next header
        p.IfNotEqual(CarpHeader.Protocol, drop);
        int sourceAt = Eth + (v6 ? 8 : 12);
        foreach (IpAddress source in own)
        {
            IfFrom(p, sourceAt, source, drop);                                  // our own advert back
        }
        if (rule.Vhids is IReadOnlyList<FilterVhid> vhids)
        {
            // Where the CARP (VRRP) header starts: X for IPv4 (its header length), fixed for IPv6.
            uint header = (uint)(v6 ? Eth + CarpHeader.Ipv6Size : Eth);
            ushort headerLoad = v6 ? BpfProgram.LdB : BpfProgram.LdBInd;
            if (!v6)
            {
                p.Emit(BpfProgram.LdxMsh, Eth);                                 // X = 4 * (IHL)
            }
            if (rule.PassLoggedBeforeVhid)
            {
                PassLoggedBeforeVhid(p, v6, rule.ChecksTtl, accept);
            }
            p.Emit(headerLoad, header + CarpHeader.Vhid);
            foreach (FilterVhid v in vhids)
            {
                if (v.Sources.Count == 0)
                {
                    p.IfEqual(v.Vhid, accept);
                    continue;
                }
                // From one of its peers, or dropped: the reader's next check is the source.
                int other = p.NewLabel();
                p.IfNotEqual(v.Vhid, other);
                foreach (IpAddress peer in v.Sources)
                {
                    IfFrom(p, sourceAt, peer, accept);
                }
                p.Goto(drop);
                p.Place(other);
                p.Emit(headerLoad, header + CarpHeader.Vhid);                  // A was spent on the sources
            }
            p.Goto(drop);
        }
        p.Place(accept);
        p.Emit(BpfProgram.RetK, Accept);
        p.Place(drop);
        p.Emit(BpfProgram.RetK, 0);
        return p.ToArray();
    }

    /// <summary>
    /// carp.c's checks before the vhid that log: a CARP header cut short (a bogus size),
    /// a TTL other than 255, a version other than 2. Such frames pass, whatever their vhid.
    /// Leaves X as it found it (the IPv4 header length).
    /// </summary>
    static void PassLoggedBeforeVhid(BpfProgram p, bool v6, bool checksTtl, int accept)
    {
        if (v6)
        {
            p.Emit(BpfProgram.LdLen);
            p.IfBelow(CarpHeader.Advert6FrameSize, accept);
        }
        else
        {
            p.Emit(BpfProgram.Txa);
            p.Emit(BpfProgram.AddK, Eth + CarpHeader.Size);
            p.Emit(BpfProgram.Tax);                                             // X = where a whole CARP header ends
            p.Emit(BpfProgram.LdLen);
            p.IfBelowX(accept);
            p.Emit(BpfProgram.LdxMsh, Eth);
        }
        if (checksTtl)
        {
            p.Emit(BpfProgram.LdB, (uint)(Eth + (v6 ? 7 : 8)));
            p.IfNotEqual(CarpHeader.Ttl, accept);
        }
        p.Emit(v6 ? BpfProgram.LdB : BpfProgram.LdBInd, (uint)(v6 ? Eth + CarpHeader.Ipv6Size : Eth) + CarpHeader.VersionType);
        p.Emit(BpfProgram.AndK, 0xf0);
        p.IfNotEqual(CarpHeader.Version << 4, accept);
    }

    /// <summary>Goes to <paramref name="label"/> when the frame's source is <paramref name="address"/>, word by word.</summary>
    static void IfFrom(BpfProgram p, int sourceAt, IpAddress address, int label)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.CopyTo(bytes);
        int words = address.Length / 4, other = p.NewLabel();
        for (int w = 0; w < words; w++)
        {
            p.Emit(BpfProgram.LdW, (uint)(sourceAt + 4 * w));
            uint word = BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 * w)..]);
            if (w < words - 1)
            {
                p.IfNotEqual(word, other);
            }
            else
            {
                p.IfEqual(word, label);
            }
        }
        p.Place(other);
    }
}
