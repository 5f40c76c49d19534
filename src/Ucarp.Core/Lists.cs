namespace Ucarp.Core;

/// <summary>
/// The few list questions the shipped code asks more than once, without System.Linq (which
/// src does not import): LINQ's generic instantiations cost about 0.7 MB of the NativeAOT
/// binary, and the daemon's resident code pages grow with the binary. List&lt;T&gt; has its
/// own (Exists, TrueForAll, FindAll, ConvertAll); these are for IReadOnlyList&lt;T&gt; and text.
/// </summary>
public static class Lists
{
    public static bool Any<T>(IReadOnlyList<T> items, Func<T, bool> predicate)
    {
        for (int i = 0; i < items.Count; i++)
        {
            if (predicate(items[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The items that pass, in order (List.FindAll for any list).</summary>
    public static List<T> FindAll<T>(IReadOnlyList<T> items, Func<T, bool> predicate)
    {
        var found = new List<T>();
        for (int i = 0; i < items.Count; i++)
        {
            if (predicate(items[i]))
            {
                found.Add(items[i]);
            }
        }
        return found;
    }

    /// <summary>What <paramref name="convert"/> makes of each item, in order (Array.ConvertAll for any list).</summary>
    public static TOutput[] ConvertAll<T, TOutput>(IReadOnlyList<T> items, Func<T, TOutput> convert)
    {
        var converted = new TOutput[items.Count];
        for (int i = 0; i < converted.Length; i++)
        {
            converted[i] = convert(items[i]);
        }
        return converted;
    }

    public static int Count<T>(IReadOnlyList<T> items, Func<T, bool> predicate)
    {
        int count = 0;
        for (int i = 0; i < items.Count; i++)
        {
            if (predicate(items[i]))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// A copy. [.. items] would be one too, but for an IReadOnlyList the compiler makes it
    /// Enumerable.ToArray: System.Linq again.
    /// </summary>
    public static T[] ToArray<T>(IReadOnlyList<T> items) => Slice(items, 0, items.Count);

    /// <summary>items[start .. start + count], copied.</summary>
    public static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (int i = 0; i < count; i++)
        {
            slice[i] = items[start + i];
        }
        return slice;
    }

    /// <summary>Whether every character of <paramref name="text"/> passes (true for none).</summary>
    public static bool All(ReadOnlySpan<char> text, Func<char, bool> predicate)
    {
        foreach (char c in text)
        {
            if (!predicate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The text with each character replaced by what <paramref name="map"/> makes of it.</summary>
    public static string Map(string text, Func<char, char> map)
    {
        char[] chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = map(chars[i]);
        }
        return new string(chars);
    }

    /// <summary>
    /// The items sorted by key, as LINQ's OrderBy sorts: stable, so items with equal keys keep
    /// the order given (List.Sort does not promise that), each key computed once.
    /// </summary>
    public static List<T> SortedBy<T, TKey>(IReadOnlyList<T> items, Func<T, TKey> key, IComparer<TKey>? comparer = null)
    {
        comparer ??= Comparer<TKey>.Default;
        var keys = new TKey[items.Count];
        var order = new int[items.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = key(items[i]);
            order[i] = i;
        }
        // Equal keys compare by position: the sort's own order among them cannot show.
        Array.Sort(order, (a, b) =>
        {
            int c = comparer.Compare(keys[a], keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var sorted = new List<T>(order.Length);
        foreach (int i in order)
        {
            sorted.Add(items[i]);
        }
        return sorted;
    }
}
