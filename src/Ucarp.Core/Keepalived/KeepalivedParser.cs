using Ucarp.Core.Logging;

namespace Ucarp.Core.Keepalived;

/// <summary>The statements of a keepalived.conf and its includes, and what stood in the way.</summary>
/// <param name="Files">The files read, in the order they were read (as shown in diagnostics).</param>
/// <param name="Conditional">Whether any line was an "@ID" one, read or skipped by the config id.</param>
public sealed record KeepalivedParse(IReadOnlyList<KeepalivedNode> Nodes, IReadOnlyList<KeepalivedDiagnostic> Diagnostics,
                                     IReadOnlyList<string> Files, bool Conditional)
{
    public bool HasErrors => Lists.Any(Diagnostics, d => d.IsError);
}

/// <summary>
/// keepalived.conf as a tree: the lexer's statements, each '{' opening a block of the
/// statement before it, each '}' closing it, and every include read in place, its path
/// relative to the including file's directory (keepalived changes into it), one stream
/// of statements across files as keepalived's is. Bounded for hostile input: 1 MiB a file,
/// 64 files, includes 8 deep, blocks 32 deep; an include cycle, an unbalanced brace or a
/// file that cannot be read is an error, never an exception.
/// </summary>
public static class KeepalivedParser
{
    public const int MaxFileBytes = 1 << 20;
    public const int MaxFiles = 64;
    public const int MaxIncludeDepth = 8;
    public const int MaxBlockDepth = 32;
    public const int MaxDiagnostics = 200;

    /// <param name="path">The file's absolute path.</param>
    /// <param name="shownAs">Its name in diagnostics, as the user gave it.</param>
    /// <param name="configId">keepalived's config id for "@ID" lines: the host's short name unless keepalived -i says otherwise.</param>
    public static KeepalivedParse Parse(string path, string shownAs, IKeepalivedFiles files, string? configId)
    {
        var state = new State(files, configId);
        state.ReadFile(path, shownAs, depth: 0, includedFrom: null);
        if (state.Frames.Count > 0 && !state.Full)
        {
            KeepalivedNode open = state.Frames.Peek();
            state.Add(KeepalivedDiagnostic.Error(open.Where, Messages.KeepalivedUnclosedBlock(open.Keyword)));
        }
        if (state.Full)
        {
            state.Diagnostics.Add(KeepalivedDiagnostic.Error(new KeepalivedSource(shownAs, 0), Messages.KeepalivedTooManyProblems));
        }
        return new KeepalivedParse(state.Root, state.Diagnostics, state.Files, state.Conditional);
    }

    sealed class State(IKeepalivedFiles files, string? configId)
    {
        public readonly List<KeepalivedNode> Root = [];
        public readonly Stack<KeepalivedNode> Frames = new();
        public readonly List<KeepalivedDiagnostic> Diagnostics = [];
        public readonly List<string> Files = [];
        public bool Conditional;
        readonly List<string> _chain = [];   // the identities of the files being read, outermost first
        int _files;
        bool _tooMany;
        KeepalivedNode? _pending;            // the statement a '{' would open

        public bool Full => Diagnostics.Count >= MaxDiagnostics;

        public void Add(KeepalivedDiagnostic d)
        {
            if (!Full)
            {
                Diagnostics.Add(d);
            }
        }

        List<KeepalivedNode> Current => Frames.Count == 0 ? Root : Frames.Peek()._block!;

        /// <returns>False when the file was missing (an include's caller says so).</returns>
        public bool ReadFile(string path, string shown, int depth, KeepalivedSource? includedFrom)
        {
            var whole = new KeepalivedSource(shown, 0);
            if (++_files > MaxFiles)
            {
                Add(KeepalivedDiagnostic.Error(includedFrom ?? whole, Messages.KeepalivedTooManyFiles(MaxFiles)));
                _tooMany = true;
                return true;
            }
            KeepalivedFileRead read = files.Read(path, MaxFileBytes);
            switch (read.Status)
            {
                case KeepalivedFileStatus.Missing when includedFrom is not null:
                    _files--;
                    return false;
                case KeepalivedFileStatus.NotRegular when includedFrom is KeepalivedSource from:
                    Add(KeepalivedDiagnostic.NotConverted(from, Messages.KeepalivedIncludeNotRegular(shown)));
                    return true;
                case KeepalivedFileStatus.TooLarge:
                    Add(KeepalivedDiagnostic.Error(whole, Messages.KeepalivedTooLarge(MaxFileBytes)));
                    return true;
                case not KeepalivedFileStatus.Read:
                    Add(KeepalivedDiagnostic.Error(whole, read.Error));
                    return true;
            }
            if (_chain.Contains(read.Identity))
            {
                Add(KeepalivedDiagnostic.Error(includedFrom ?? whole, Messages.KeepalivedIncludeCycle(shown)));
                return true;
            }
            ReadOnlySpan<byte> bytes = read.Bytes;
            if (bytes.Length > MaxFileBytes)
            {
                Add(KeepalivedDiagnostic.Error(whole, Messages.KeepalivedTooLarge(MaxFileBytes)));
                return true;
            }
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                bytes = bytes[3..];
            }
            var lines = new List<LexLine>();
            Files.Add(shown);
            Conditional |= KeepalivedLexer.Lex(System.Text.Encoding.Latin1.GetString(bytes), configId, lines,
                                               (line, message) => Add(KeepalivedDiagnostic.Error(new KeepalivedSource(shown, line), message)));
            _chain.Add(read.Identity);
            foreach (LexLine line in lines)
            {
                if (Full)
                {
                    break;
                }
                Take(line, path, shown, depth);
            }
            _chain.RemoveAt(_chain.Count - 1);
            return true;
        }

        void Take(LexLine line, string path, string shown, int depth)
        {
            var where = new KeepalivedSource(shown, line.Line);
            switch (line.Kind)
            {
                case LexKind.Words:
                    var node = new KeepalivedNode(line.Words[0], Lists.Slice(line.Words, 1, line.Words.Count - 1), line.Raw, where);
                    Current.Add(node);
                    _pending = node;
                    break;
                case LexKind.Open:
                    if (_pending is null)
                    {
                        Add(KeepalivedDiagnostic.Error(where, Messages.KeepalivedStrayOpen));
                    }
                    else if (Frames.Count >= MaxBlockDepth)
                    {
                        Add(KeepalivedDiagnostic.Error(where, Messages.KeepalivedTooDeep(MaxBlockDepth)));
                    }
                    else
                    {
                        _pending._block = [];
                        Frames.Push(_pending);
                    }
                    _pending = null;
                    break;
                case LexKind.Close:
                    if (Frames.Count == 0)
                    {
                        Add(KeepalivedDiagnostic.Error(where, Messages.KeepalivedStrayClose));
                    }
                    else
                    {
                        Frames.Pop();
                    }
                    _pending = null;
                    break;
                case LexKind.Include:
                    Include(line.Raw, where, path, shown, depth);
                    break;
            }
        }

        void Include(string pattern, KeepalivedSource where, string path, string shown, int depth)
        {
            if (depth + 1 > MaxIncludeDepth)
            {
                Add(KeepalivedDiagnostic.Error(where, Messages.KeepalivedIncludeTooDeep(MaxIncludeDepth)));
                return;
            }
            List<string>? matches = KeepalivedGlob.Expand(KeepalivedGlob.DirectoryOf(path), pattern, files);
            if (matches is null)
            {
                Add(KeepalivedDiagnostic.Error(where, Messages.KeepalivedGlobTooLarge(pattern, KeepalivedGlob.MaxAlternatives)));
                return;
            }
            bool any = false;
            foreach (string match in matches)
            {
                if (Full || _tooMany)
                {
                    return;
                }
                any |= ReadFile(KeepalivedGlob.Join(KeepalivedGlob.DirectoryOf(path), match),
                                KeepalivedGlob.Join(KeepalivedGlob.DirectoryOf(shown), match), depth + 1, where);
            }
            if (!any)
            {
                Add(KeepalivedDiagnostic.NotConverted(where, Messages.KeepalivedIncludeNoMatch(pattern)));
            }
        }
    }
}
