export { needToKnowGroup, maintainersOf, rolesOf, type Role } from './needToKnow.js';
export { responseDeadline } from './deadline.js';
