using Ucarp.Core.Cli;
using Ucarp.Core.Groups;

namespace Ucarp.Core.Tests.Groups;

/// <summary>One interface's CARP groups by advert destination and vhid.</summary>
public class GroupTableTests
{
    static readonly IpAddress Carp = new(224, 0, 0, 18);
    static readonly IpAddress Other = new(239, 1, 2, 3);
    static readonly IpAddress Carp6 = FamilyCheck.DefaultMulticast6;

    [Test]
    public void Groups_are_found_by_destination_and_vhid_and_others_are_unknown()
    {
        var table = new GroupTable<string>();
        Assert.That(table.Add(Carp, 1, "a"), Is.Null);
        Assert.That(table.Add(Carp, 2, "b"), Is.Null);
        Assert.That(table.Add(Other, 1, "c"), Is.Null);
        Assert.That(table.Add(Carp6, 1, "d"), Is.Null);
        Assert.That(table.Count, Is.EqualTo(4));

        Assert.That(table.TryFind(Carp, 1, out string? g) ? g : "unknown", Is.EqualTo("a"));
        Assert.That(table.TryFind(Carp, 2, out g) ? g : "unknown", Is.EqualTo("b"));
        Assert.That(table.TryFind(Other, 1, out g) ? g : "unknown", Is.EqualTo("c"));
        Assert.That(table.TryFind(Carp6, 1, out g) ? g : "unknown", Is.EqualTo("d"));
        Assert.That(table.TryFind(Carp, 3, out g) ? g : "unknown", Is.EqualTo("unknown"));
        Assert.That(table.TryFind(Other, 2, out g) ? g : "unknown", Is.EqualTo("unknown"));
        Assert.That(table.TryFind(new IpAddress(224, 0, 0, 19), 1, out g) ? g : "unknown", Is.EqualTo("unknown"));
    }

    [Test]
    public void A_second_group_for_one_destination_and_vhid_is_refused_and_the_first_named()
    {
        var table = new GroupTable<string>();
        table.Add(Carp, 7, "a");
        Assert.That(table.Add(Carp, 7, "b"), Is.EqualTo("a"));
        Assert.That(table.TryFind(Carp, 7, out string? g) ? g : null, Is.EqualTo("a"));
        Assert.That(table.Count, Is.EqualTo(1));
        Assert.That(table.Remove(Carp, 7), Is.True);
        Assert.That(table.Add(Carp, 7, "b"), Is.Null);
        Assert.That(table.TryFind(Carp, 7, out g) ? g : null, Is.EqualTo("b"));
    }

    [Test]
    public void All_255_vhids_of_one_interface_fit()
    {
        var table = new GroupTable<string>();
        for (int vhid = 1; vhid <= 255; vhid++)
        {
            Assert.That(table.Add(Carp, (byte)vhid, "g" + vhid), Is.Null);
        }
        Assert.That(Enumerable.Range(1, 255).All(v => table.TryFind(Carp, (byte)v, out string? g) && g == "g" + v), Is.True);
        Assert.That(table.TryFind(Carp, 0, out _), Is.False);
    }

    [Test]
    public void Removing_finds_only_what_was_added_and_a_destination_can_come_back()
    {
        var table = new GroupTable<string>();
        table.Add(Carp, 1, "a");
        table.Add(Carp6, 1, "b");
        Assert.That(table.Remove(Carp, 2), Is.False);
        Assert.That(table.Remove(Other, 1), Is.False);
        Assert.That(table.Remove(Carp, 1), Is.True);
        Assert.That(table.Remove(Carp, 1), Is.False);
        Assert.That(table.Count, Is.EqualTo(1));
        Assert.That(table.TryFind(Carp, 1, out _), Is.False);
        Assert.That(table.TryFind(Carp6, 1, out string? g) ? g : null, Is.EqualTo("b"));
        Assert.That(table.Add(Carp, 1, "c"), Is.Null);
        Assert.That(table.TryFind(Carp, 1, out g) ? g : null, Is.EqualTo("c"));
        Assert.That(table.Count, Is.EqualTo(2));
    }
}
