// Auth0's custom-database error classes (lazy globals, see loader.js). All are real Error subclasses (instanceof Error,
// with a stack); `name` is also on the prototype so the stack header names the class, and
// the stack starts at the caller (Error.captureStackTrace(this, new.target)), as in Auth0's
// implementation.
(function (native, global) {
  'use strict';

  function setName(cls, name) {
    Object.defineProperty(cls.prototype, 'name', {
      value: name, writable: true, enumerable: false, configurable: true
    });
  }

  class WrongUsernameOrPasswordError extends Error {
    constructor(user_id, message) {
      super(message || 'Wrong email or password.');
      Error.captureStackTrace(this, new.target);
      this.name = 'WrongUsernameOrPasswordError';
      this.user_id = user_id;
    }
  }
  setName(WrongUsernameOrPasswordError, 'WrongUsernameOrPasswordError');

  class ValidationError extends Error {
    constructor(code, message) {
      super(message);
      Error.captureStackTrace(this, new.target);
      this.name = 'ValidationError';
      this.code = code;
      this.description = message;
      this.statusCode = 400;
    }
  }
  setName(ValidationError, 'ValidationError');

  class UnauthorizedError extends Error {
    constructor(message) {
      super(message);
      Error.captureStackTrace(this, new.target);
      this.name = 'UnauthorizedError';
      this.code = 'unauthorized';
      this.description = message;
      this.statusCode = 401;
    }
  }
  setName(UnauthorizedError, 'UnauthorizedError');

  return {
    WrongUsernameOrPasswordError: WrongUsernameOrPasswordError,
    ValidationError: ValidationError,
    UnauthorizedError: UnauthorizedError
  };
})
