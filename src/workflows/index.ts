export { buildWorkflow } from './build';
export { loopWorkflow } from './loop';
export { queueWorkflow } from './queue';
export { reportWorkflow } from './report';
export { deliverWorkflow } from './deliver';
