using System.Collections;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Safehold.Web.Data;

public sealed partial class PreparedReads
{
    /// <summary>
    /// The reader of a kept command run for EF Core (<see cref="TryExecute"/>): SQLite's reader as it is, which frees its
    /// command when EF Core disposes it, and with the last reader of its use gives the connection back (or closes it, if a
    /// read failed). What it answers is copied out of SQLite's reader: nothing it hands out reads the connection after it.
    /// </summary>
    private sealed class LeasedReader(SqliteDataReader reader, SqliteCommand command, bool oneOff, Use use) : DbDataReader
    {
        private bool _failed;
        private bool _ended;

        public override bool Read()
        {
            try { return reader.Read(); }
            catch { _failed = true; throw; }
        }

        public override bool NextResult()
        {
            try { return reader.NextResult(); }
            catch { _failed = true; throw; }
        }

        public override Task<bool> ReadAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Read() ? TrueTask : FalseTask;
        }

        public override Task<bool> NextResultAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return NextResult() ? TrueTask : FalseTask;
        }

        private static readonly Task<bool> TrueTask = Task.FromResult(true), FalseTask = Task.FromResult(false);

        public override void Close() => End();

        protected override void Dispose(bool disposing)
        {
            if (disposing) End();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync()
        {
            End();
            return ValueTask.CompletedTask;
        }

        /// <summary>Resets the statements (SQLite's reader does), frees the command and ends its part of the use, once.</summary>
        private void End()
        {
            if (_ended) return;
            _ended = true;
            try
            {
                reader.Dispose();
            }
            catch
            {
                _failed = true;
                throw;
            }
            finally
            {
                use.Lease.Done(command, oneOff); // EF Core's parameters: not held past its query
                if (_failed) use.Failed = true;
                use.Ended(this);
            }
        }

        public override int Depth => reader.Depth;
        public override int FieldCount => reader.FieldCount;
        public override bool HasRows => reader.HasRows;
        public override bool IsClosed => _ended;
        public override int RecordsAffected => reader.RecordsAffected;
        public override int VisibleFieldCount => reader.VisibleFieldCount;
        public override object this[int ordinal] => reader[ordinal];
        public override object this[string name] => reader[name];
        public override bool GetBoolean(int ordinal) => reader.GetBoolean(ordinal);
        public override byte GetByte(int ordinal) => reader.GetByte(ordinal);
        public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) =>
            reader.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);
        public override char GetChar(int ordinal) => reader.GetChar(ordinal);
        public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) =>
            reader.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);
        public override string GetDataTypeName(int ordinal) => reader.GetDataTypeName(ordinal);
        public override DateTime GetDateTime(int ordinal) => reader.GetDateTime(ordinal);
        public override decimal GetDecimal(int ordinal) => reader.GetDecimal(ordinal);
        public override double GetDouble(int ordinal) => reader.GetDouble(ordinal);
        public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);
        public override Type GetFieldType(int ordinal) => reader.GetFieldType(ordinal);
        public override T GetFieldValue<T>(int ordinal) =>
            typeof(T) == typeof(Stream) ? (T)(object)GetStream(ordinal) : typeof(T) == typeof(TextReader) ? (T)(object)GetTextReader(ordinal) : reader.GetFieldValue<T>(ordinal);
        public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => Task.FromResult(GetFieldValue<T>(ordinal));
        public override float GetFloat(int ordinal) => reader.GetFloat(ordinal);
        public override Guid GetGuid(int ordinal) => reader.GetGuid(ordinal);
        public override short GetInt16(int ordinal) => reader.GetInt16(ordinal);
        public override int GetInt32(int ordinal) => reader.GetInt32(ordinal);
        public override long GetInt64(int ordinal) => reader.GetInt64(ordinal);
        public override string GetName(int ordinal) => reader.GetName(ordinal);
        public override int GetOrdinal(string name) => reader.GetOrdinal(name);
        public override Stream GetStream(int ordinal) => new MemoryStream(reader.GetFieldValue<byte[]>(ordinal), writable: false);
        public override string GetString(int ordinal) => reader.GetString(ordinal);
        public override TextReader GetTextReader(int ordinal) => new StringReader(reader.GetString(ordinal));
        public override object GetValue(int ordinal) => reader.GetValue(ordinal);
        public override int GetValues(object[] values) => reader.GetValues(values);
        public override bool IsDBNull(int ordinal) => reader.IsDBNull(ordinal);
        public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => reader.IsDBNull(ordinal) ? TrueTask : FalseTask;
        public override System.Data.DataTable? GetSchemaTable() => reader.GetSchemaTable();
    }
}
