using Ucarp.Core.Control;

namespace Ucarp.Core.Tests.Control;

public class DemotionsTests
{
    [Test]
    public void Groups_demoted_one_by_one_are_listed_and_read_back()
    {
        Demotions d = Demotions.Of(false, [("web", true), ("db", false), ("mail", true)]);
        Assert.That(d.Format(), Does.EndWith("\ndemoted mail\ndemoted web\n"));
        Demotions back = Demotions.Parse(d.Format(), out List<string> problems);
        Assert.That(problems, Is.Empty);
        Assert.That((back.IsDemoted("web"), back.IsDemoted("db"), back.IsDemoted("mail"), back.IsDemoted("new")), Is.EqualTo((true, false, true, false)));
    }

    [Test]
    public void After_demote_all_every_group_is_demoted_but_those_promoted_since_and_new_ones_too()
    {
        Demotions d = Demotions.Of(true, [("web", true), ("db", false)]);
        Assert.That(d.Format(), Does.EndWith("\nall\npromoted db\n"));
        Demotions back = Demotions.Parse(d.Format(), out _);
        Assert.That((back.All, back.IsDemoted("web"), back.IsDemoted("db"), back.IsDemoted("added-later")), Is.EqualTo((true, true, false, true)));
    }

    [Test]
    public void Nothing_demoted_is_a_file_of_comments_only()
    {
        string text = Demotions.Of(false, [("web", false)]).Format();
        Assert.That(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.StartsWith('#')), Is.True, text);
        Assert.That(Demotions.Parse(text, out _).IsDemoted("web"), Is.False);
    }

    [Test]
    public void Lines_of_no_known_form_are_skipped_each_with_its_line_number()
    {
        Demotions d = Demotions.Parse("demoted web\r\n  \n# c\ndemoted\nfrozen db\ndemoted a/b\ndemoted x y\n demoted  mail \n", out List<string> problems);
        Assert.That(problems, Is.EqualTo(new[]
        {
            "4: not a demotion, skipped: [demoted]",
            "5: not a demotion, skipped: [frozen db]",
            "6: not a demotion, skipped: [demoted a/b]",
            "7: not a demotion, skipped: [demoted x y]",
        }));
        Assert.That(d.Names.Order(), Is.EqualTo(new[] { "mail", "web" }));
    }
}
