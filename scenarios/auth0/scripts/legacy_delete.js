function remove(id, callback) {
  if (id === 'legacy-1') return callback(new Error('legacy-1 is locked by an audit hold'));
  console.log('legacy store: deleted', id);
  return callback(null);
}
