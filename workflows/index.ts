export { bulkMessageWorkflow } from './bulk.js';
export { keywordWorkflow } from './keyword.js';
export { memberWorkflow } from './member.js';
export { messageWorkflow } from './message.js';
