using Microsoft.Win32.SafeHandles;

namespace ReluFast.IO;

/// <summary>
/// Opens input files for the readers with one set of messages: a missing file, a folder given where a file
/// belongs, and a file that cannot be opened each name the path and say which it is.
/// </summary>
internal static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading (shared read access).</summary>
    /// <exception cref="ReluFastDataException">The path is missing, a folder, or cannot be opened.</exception>
    public static SafeFileHandle OpenHandle(string path, FileOptions options = FileOptions.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e);
        }
    }

    /// <summary>Opens <paramref name="path"/> as a read-only stream.</summary>
    /// <exception cref="ReluFastDataException">The path is missing, a folder, or cannot be opened.</exception>
    public static FileStream OpenStream(string path, int bufferSize = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e);
        }
    }

    /// <summary>
    /// Reads the whole of a small file (a network), refusing one over <paramref name="maxBytes"/> before reading it.
    /// </summary>
    /// <exception cref="ReluFastDataException">The path is missing, a folder, unreadable, or larger than the limit.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        using var stream = OpenStream(path, bufferSize: 1);
        try
        {
            long length = stream.Length;
            if (length > maxBytes)
                throw new ReluFastDataException(path,
                    $"the file is {length} bytes long, over the {maxBytes}-byte limit for {what}.");
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e);
        }
    }

    /// <summary>The exception for a failed open or read of <paramref name="path"/>.</summary>
    public static ReluFastDataException Failure(string path, Exception e)
    {
        if (Directory.Exists(path)) return new ReluFastDataException(path, "this is a folder, not a file.", e);
        if (e is FileNotFoundException or DirectoryNotFoundException || !File.Exists(path))
            return new ReluFastDataException(path, "the file does not exist.", e);
        return e is UnauthorizedAccessException
            ? new ReluFastDataException(path, "the file cannot be opened: permission denied.", e)
            : new ReluFastDataException(path, $"the file cannot be read: {e.Message}", e);
    }
}
