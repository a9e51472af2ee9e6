import { installTestLogger } from './testLog';

// Before any test file code: the Runtime's logger keeps worker warnings for the environment to print on failure.
installTestLogger();
