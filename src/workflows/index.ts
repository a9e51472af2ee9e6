export { buildWorkflow } from './build';
