using System.Globalization;

namespace ReluFast.IO;

/// <summary>
/// Parses the header dictionary of a <c>.npy</c> file, a Python literal such as
/// <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }</c>. Only the literal forms
/// NumPy writes are understood: strings, <c>True</c>/<c>False</c>/<c>None</c>, integers, tuples and
/// lists. A list value is kept as <see cref="ListValue"/> so that a structured dtype can be named in
/// the error.
/// </summary>
internal static class NpyHeaderDictionary
{
    /// <summary>Marks a Python list (as in a structured dtype descr); its text is kept for messages.</summary>
    internal sealed record ListValue(string Text);

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> describing the first problem.</summary>
    public static Dictionary<string, object?> Parse(string text)
    {
        int pos = 0;
        SkipSpace(text, ref pos);
        var result = ParseValue(text, ref pos, 0) as Dictionary<string, object?>
            ?? throw new FormatException("it is not a Python dictionary");
        SkipSpace(text, ref pos);
        if (pos != text.Length) throw new FormatException($"unexpected text after the dictionary at character {pos}");
        return result;
    }

    private const int MaxDepth = 32;

    private static object? ParseValue(string s, ref int pos, int depth)
    {
        if (depth > MaxDepth) throw new FormatException($"values are nested more than {MaxDepth} deep");
        SkipSpace(s, ref pos);
        if (pos >= s.Length) throw new FormatException("it ends in the middle of a value");
        char c = s[pos];
        switch (c)
        {
            case '{':
                return ParseDict(s, ref pos, depth + 1);
            case '(':
            case '[':
            {
                int start = pos;
                var items = ParseSequence(s, ref pos, c == '(' ? ')' : ']', depth + 1);
                if (c == '[') return new ListValue(s[start..pos]);
                return items;
            }
            case '\'':
            case '"':
                return ParseString(s, ref pos);
        }
        if (c == '-' || char.IsAsciiDigit(c)) return ParseInteger(s, ref pos);
        if (char.IsAsciiLetter(c))
        {
            int start = pos;
            while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] == '_')) pos++;
            string word = s[start..pos];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw new FormatException($"unexpected word '{word}' at character {start}"),
            };
        }
        throw new FormatException($"unexpected character '{c}' at character {pos}");
    }

    private static Dictionary<string, object?> ParseDict(string s, ref int pos, int depth)
    {
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        pos++; // '{'
        while (true)
        {
            SkipSpace(s, ref pos);
            if (pos >= s.Length) throw new FormatException("the dictionary is not closed with '}'");
            if (s[pos] == '}') { pos++; return dict; }
            if (s[pos] != '\'' && s[pos] != '"') throw new FormatException($"expected a quoted key at character {pos}");
            string key = ParseString(s, ref pos);
            SkipSpace(s, ref pos);
            if (pos >= s.Length || s[pos] != ':') throw new FormatException($"expected ':' after key '{key}'");
            pos++;
            object? value = ParseValue(s, ref pos, depth);
            if (!dict.TryAdd(key, value)) throw new FormatException($"key '{key}' appears twice");
            SkipSpace(s, ref pos);
            if (pos < s.Length && s[pos] == ',') { pos++; continue; }
            SkipSpace(s, ref pos);
            if (pos < s.Length && s[pos] == '}') { pos++; return dict; }
            throw new FormatException($"expected ',' or '}}' at character {pos}");
        }
    }

    private static List<object?> ParseSequence(string s, ref int pos, char close, int depth)
    {
        var items = new List<object?>();
        pos++; // '(' or '['
        while (true)
        {
            SkipSpace(s, ref pos);
            if (pos >= s.Length) throw new FormatException($"a sequence is not closed with '{close}'");
            if (s[pos] == close) { pos++; return items; }
            items.Add(ParseValue(s, ref pos, depth));
            SkipSpace(s, ref pos);
            if (pos < s.Length && s[pos] == ',') { pos++; continue; }
            if (pos < s.Length && s[pos] == close) { pos++; return items; }
            throw new FormatException($"expected ',' or '{close}' at character {pos}");
        }
    }

    private static string ParseString(string s, ref int pos)
    {
        char quote = s[pos++];
        int start = pos;
        while (pos < s.Length && s[pos] != quote)
        {
            if (s[pos] == '\\') throw new FormatException("escape sequences in header strings are not supported");
            pos++;
        }
        if (pos >= s.Length) throw new FormatException("a string is not closed");
        string value = s[start..pos];
        pos++;
        return value;
    }

    private static long ParseInteger(string s, ref int pos)
    {
        int start = pos;
        if (s[pos] == '-') pos++;
        while (pos < s.Length && char.IsAsciiDigit(s[pos])) pos++;
        string digits = s[start..pos];
        if (pos < s.Length && (s[pos] == 'L' || s[pos] == 'l')) pos++; // Python 2 long suffix in old files
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw new FormatException($"'{digits}' is not an integer that fits in 64 bits");
        return value;
    }

    private static void SkipSpace(string s, ref int pos)
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }
}
