using System.Collections;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Safehold.Web.Data;

public sealed partial class PreparedReads
{
    /// <summary>
    /// The reader of a kept command run for EF Core (<see cref="TryExecute"/>): SQLite's reader as it is, which gives its
    /// connection back when EF Core disposes it (or closes the connection, if a read failed).
    /// </summary>
    private sealed class LeasedReader(SqliteDataReader reader, SqliteCommand command, Lease lease, PreparedReads owner) : DbDataReader
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

        /// <summary>Resets the statements (SQLite's reader does) and gives the connection back, once.</summary>
        private void End()
        {
            if (_ended) return;
            _ended = true;
            try
            {
                reader.Dispose();
                command.Parameters.Clear(); // EF Core's: not held past its query
            }
            catch
            {
                _failed = true;
                throw;
            }
            finally
            {
                if (_failed) lease.Dispose();
                else owner.Return(lease);
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
        public override T GetFieldValue<T>(int ordinal) => reader.GetFieldValue<T>(ordinal);
        public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => Task.FromResult(reader.GetFieldValue<T>(ordinal));
        public override float GetFloat(int ordinal) => reader.GetFloat(ordinal);
        public override Guid GetGuid(int ordinal) => reader.GetGuid(ordinal);
        public override short GetInt16(int ordinal) => reader.GetInt16(ordinal);
        public override int GetInt32(int ordinal) => reader.GetInt32(ordinal);
        public override long GetInt64(int ordinal) => reader.GetInt64(ordinal);
        public override string GetName(int ordinal) => reader.GetName(ordinal);
        public override int GetOrdinal(string name) => reader.GetOrdinal(name);
        public override Stream GetStream(int ordinal) => reader.GetStream(ordinal);
        public override string GetString(int ordinal) => reader.GetString(ordinal);
        public override TextReader GetTextReader(int ordinal) => reader.GetTextReader(ordinal);
        public override object GetValue(int ordinal) => reader.GetValue(ordinal);
        public override int GetValues(object[] values) => reader.GetValues(values);
        public override bool IsDBNull(int ordinal) => reader.IsDBNull(ordinal);
        public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => reader.IsDBNull(ordinal) ? TrueTask : FalseTask;
        public override System.Data.DataTable? GetSchemaTable() => reader.GetSchemaTable();
    }
}
